/**
 * The service run for test/unit/telemetry/exporter.test.ts, in its own process (the distro registers
 * process-wide providers and patches `http`): APPLICATIONINSIGHTS_CONNECTION_STRING points at the test's
 * loopback ingestion endpoint; this script writes what it did (ids, keys, timings) as JSON to RESULT_FILE.
 *
 * 1. The Functions host's queue function takes a Dataverse Delete at once, as a fresh worker does: the
 *    exporter is still registering (functions/lib/runtime.ts does not wait for it).
 * 2. The self-hosted service as `npm start` composes it (telemetry first, then the Fastify host, the
 *    worker, Azurite, the tenant sandbox), and deletes that exercise every query: CRM and Outlook deletes,
 *    a skip, a denied delete, a throttled Graph call, a delete that ends in the poison queue, and one held
 *    by the mass-delete brake.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { startTelemetryFromEnv, telemetryState } from '../../../src/telemetry/index.js';

const resultFile = process.env.RESULT_FILE;
if (resultFile === undefined) throw new Error('RESULT_FILE is required');
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/dataverse/${name}`, import.meta.url), 'utf8')) as unknown;

// ── 1. The Functions host, before its exporter is up ──────────────────────────────────────────────────
const { startAzurite } = await import('../../../src/server/azurite.js');
const functionsStorage = await startAzurite();
Object.assign(process.env, { STORAGE_CONNECTION_STRING: functionsStorage.connectionString, TABLE_PREFIX: 'functionshost' });
const functionsLibrary = await import('@azure/functions');
// A CommonJS package: its exports are the default export of the ES module namespace.
const { InvocationContext } = (functionsLibrary as unknown as { default: typeof functionsLibrary }).default ?? functionsLibrary;
const { processChanges } = await import('../../../functions/process-changes.js');
const { normalizeDataverseWebhook } = await import('../../../src/domain/normalize-dataverse.js');
const functionsEvent = normalizeDataverseWebhook(fixture('delete-webhook-appointment.reconstructed.json'), {}, new Date());
await processChanges(
  { kind: 'change', event: functionsEvent },
  new InvocationContext({ functionName: 'processChanges', triggerMetadata: { id: 'functions-message-1', dequeueCount: 1 } }),
);
const functionsHost = { eventId: functionsEvent.id, crmRecordId: functionsEvent.crm!.ref.id, telemetryWhenDecided: telemetryState() };

// ── 2. The self-hosted service ─────────────────────────────────────────────────────────────────────────
// The same registration the Functions worker started; waiting for it here, before Fastify is loaded.
const telemetry = await startTelemetryFromEnv();
const { startWorld } = await import('../../../demo/world.js');
const { SCENARIOS } = await import('../../../demo/scenarios.js');
const { trackedMeeting, trackedTask } = await import('../../../demo/tracked.js');

const world = await startWorld({ env: { BRAKE_MAX_TOTAL: '5', MAX_DEQUEUE_COUNT: '1' } });
const { sb, users } = world;
const play = async (name: string) => {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new Error(`no scenario ${name}`);
  const observed = await scenario.play(world);
  return { rule: observed.ruleId, crmRecordId: observed.tracked.ref.id, items: Object.fromEntries(Object.entries(observed.tracked.copies).map(([who, c]) => [who, c.itemId])) };
};
const crmDelete = async (ref: { entity: string; id: string }, by = users.olga) => {
  await sb.dataverse.userDeletes(by.systemUserId, ref.entity, ref.id);
  await world.quiesce(60_000);
};

// Admitted by the brake in this order (five at most): future meeting, organizer in Outlook, Bob denied, task, poisoned meeting.
const crmFuture = await play('appointment-future-crm');
const outlookOrganizer = await play('appointment-organizer-outlook');
const outlookAttendee = await play('appointment-attendee-outlook');
const denied = await play('privilege-outlook');

const task = await trackedTask(world, 'Throttled task', users.olga, false);
sb.faults.inject('graph', { kind: 'throttle', retryAfterSeconds: 0 }, { times: 1, key: users.olga.id });
await crmDelete(task.ref);

const poisoned = await trackedMeeting(world, 'Poisoned meeting', { organizer: users.olga, attendees: [users.alice], startInDays: 2 });
sb.faults.set('graph', { serverErrorRate: 1 });
await crmDelete(poisoned.ref);
sb.faults.set('graph', { serverErrorRate: 0 });

const held = await trackedMeeting(world, 'Held meeting', { organizer: users.olga, attendees: [users.alice], startInDays: 2 });
await crmDelete(held.ref);

const result = {
  functionsHost,
  secrets: [world.service.config.dataverse.webhookKey, world.service.config.adminKey, sb.client.clientSecret],
  olga: users.olga.id,
  crmFuture,
  outlookOrganizer,
  outlookAttendee,
  denied,
  task: { crmRecordId: task.ref.id },
  poisoned: { crmRecordId: poisoned.ref.id, inPoisonQueue: await world.poisoned() },
  held: { crmRecordId: held.ref.id, heldNow: (await world.service.runtime.queue.brake?.held.list())?.length ?? 0 },
};
await world.close();
await telemetry.shutdown();
await functionsStorage.stop();
writeFileSync(resultFile, JSON.stringify(result, null, 2));
process.exit(0);
