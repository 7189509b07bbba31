/**
 * Section 1: acknowledgement under load. autocannon posts Graph `deleted` notifications (for valid
 * subscriptions, with their clientState) and Dataverse Delete bodies (the fixture, a fresh OperationId
 * each) to three hosts:
 *  - queued: the service as it is — authenticate, parse, verify, enqueue (one write), 202;
 *  - inline: the same receivers, processing each message (facts, decision, Graph/Dataverse calls against
 *    the sandbox, decision record) before answering, as Microsoft's Node webhook sample does;
 *  - bare: a Fastify route on the same Azurite that only enqueues the raw body (bench/bare-host.ts).
 * Each rate is run on the three hosts back to back. The queue worker does not run during this section: on
 * Azure the queue trigger scales on its own instances, and here it would take the same two cores.
 */
import { randomUUID } from 'node:crypto';
import type { CrmSnapshot } from '../src/domain/event.js';
import { normalizeDataverseWebhook } from '../src/domain/normalize-dataverse.js';
import type { Link } from '../src/domain/link.js';
import { loadConfig } from '../src/config.js';
import { createStore, type Store } from '../src/store/index.js';
import type { GraphSubscription } from '../src/store/subscriptions.js';
import { DATAVERSE_DELETE_FIXTURE, GRAPH_DELETED_FIXTURE, dataverseDeleteBody, dataverseHeaders, graphDeletedBody, readFixture, type NotificationTarget } from './bodies.js';
import { createBenchExecutors } from './executor.js';
import type { BenchInfra } from './infra.js';
import { runLoadStep, type LoadOptions, type LoadRequest, type LoadStep } from './load.js';
import { startBareHost } from './bare-host.js';
import { benchEnv, benchRuntime, processInline, startHost, type RunningHost } from './service.js';

export type Kind = 'graph' | 'dataverse';

export interface AckRow {
  kind: Kind;
  queued: LoadStep;
  inline: LoadStep;
  bare: LoadStep;
}

type Side = 'queued' | 'inline' | 'bare';
const SIDES: Side[] = ['queued', 'inline', 'bare'];

export interface AckResult {
  rows: AckRow[];
  /** Median time of one storage round trip (queue properties read) on this machine, before the load. */
  storageRoundTripMs: number;
}

export interface AckOptions extends LoadOptions {
  rates: number[];
  /** Mailboxes sending notifications (one subscription each). */
  mailboxes: number;
  /** Unrecorded load per host and body kind before the steps. */
  warmUpRate: number;
  warmUpSeconds: number;
  /** Settle time between steps, so one step's tail does not land in the next. */
  pauseMs: number;
  /**
   * Linked items seeded for the inline host's Graph notifications (each is acted on once). The inline
   * host answers far fewer requests than offered, so this is well below rates × duration.
   */
  linkedItems: number;
}

/**
 * The fixture's own time (its OperationCreatedOn) and its meeting's start: the meeting is in the future
 * then, so deletes propagate. Read through the service's parser, so they are what the processor sees.
 */
function fixtureTimes(template: Record<string, unknown>): { clock: () => Date; meetingStart: string } {
  const snapshot = normalizeDataverseWebhook(JSON.stringify(template), dataverseHeaders(template), new Date()).crm?.snapshot;
  if (!snapshot?.takenAt || !snapshot.scheduledStart) throw new Error('the Delete fixture lost its OperationCreatedOn or scheduledstart');
  const offset = Date.now() - Date.parse(snapshot.takenAt);
  return { clock: () => new Date(Date.now() - offset), meetingStart: snapshot.scheduledStart };
}

interface Tenant {
  subscriptions: GraphSubscription[];
  /** Users (Entra id ↔ systemuser) whose mailboxes the notifications come from. */
  users: { userId: string; crmUserId: string }[];
}

function createTenant(infra: BenchInfra, count: number, webhookUrl: string): Tenant {
  const now = new Date().toISOString();
  const users = Array.from({ length: count }, (_, i) => {
    const user = infra.sandbox.directory.add({ displayName: `Notifier ${i}` });
    return { userId: user.id, crmUserId: user.systemUserId };
  });
  const subscriptions = users.map(({ userId }) => ({
    id: randomUUID(),
    resource: `/users/${userId}/events`,
    changeType: 'deleted',
    clientState: randomUUID(),
    tenantId: infra.sandbox.tenantId,
    userId,
    itemKind: 'event' as const,
    expirationDateTime: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    notificationUrl: webhookUrl,
    lifecycleNotificationUrl: null,
    createdAt: now,
    updatedAt: now,
  }));
  return { subscriptions, users };
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Items whose delete the inline host acts on: each linked to its own future CRM meeting organized by the
 * mailbox owner, so processing deletes the CRM record as that user (a Dataverse call). The link is dropped
 * after processing, so each item is used once.
 */
async function seedLinkedItems(store: Store, tenant: Tenant, count: number, meetingStart: string): Promise<NotificationTarget[]> {
  const start = new Date().toISOString();
  const targets: NotificationTarget[] = [];
  const seeds: { link: Link; snapshot: CrmSnapshot }[] = [];
  for (let i = 0; i < count; i++) {
    const sub = tenant.subscriptions[i % tenant.subscriptions.length]!;
    const user = tenant.users[i % tenant.users.length]!;
    const ref = { entity: 'appointment', id: randomUUID() };
    const itemId = `AAMkAG${randomUUID().replace(/-/g, '')}`;
    const organizer = { role: 'organizer' as const, type: 'systemuser', id: user.crmUserId, address: null };
    seeds.push({
      link: { crm: ref, userId: user.userId, crmUserId: user.crmUserId, itemKind: 'event', itemId, role: 'organizer', listId: null, source: 'bench', updatedAt: start },
      snapshot: { ref, statecode: 3, scheduledStart: meetingStart, owner: { entity: 'systemuser', id: user.crmUserId }, organizer, requiredAttendees: [], optionalAttendees: [], globalObjectId: null, messageId: null, takenAt: start },
    });
    targets.push({ subscriptionId: sub.id, clientState: sub.clientState, tenantId: sub.tenantId!, userId: user.userId, itemId });
  }
  await inParallel(seeds, 32, async ({ link, snapshot }) => {
    await store.snapshots.put(snapshot);
    await store.links.put(link);
  });
  return targets;
}

interface Variant {
  host: RunningHost;
  webhookKey: string;
  idle(): Promise<void>;
}

async function registerSubscriptions(store: Store, tenant: Tenant): Promise<void> {
  await inParallel(tenant.subscriptions, 16, (s) => store.subscriptions.put(s));
}

async function medianRoundTripMs(store: Store, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await store.ping();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(samples / 2)]!;
}

export async function runAcknowledge(infra: BenchInfra, options: AckOptions, progress: (line: string) => void): Promise<AckResult> {
  const dataverseTemplate = readFixture(DATAVERSE_DELETE_FIXTURE);
  const graphTemplate = readFixture(GRAPH_DELETED_FIXTURE);
  // The fixture's organizer as a user with a mailbox, so the inline host's Graph work has somewhere to go.
  infra.sandbox.directory.add({ displayName: 'Organizer Name', systemUserId: '00000000-0000-0000-0000-0000000000a1' });
  const tenant = createTenant(infra, options.mailboxes, 'https://bench.invalid/api/graph/notifications');

  const queuedEnv = benchEnv(infra, 'ackqueued');
  const queuedRuntime = benchRuntime(queuedEnv);
  const inlineEnv = benchEnv(infra, 'ackinline');
  // Thousands of propagate decisions in seconds would trip the mass-delete brake, and held decisions do
  // no Graph or Dataverse work: widened (its admission still runs), so the baseline does all its work.
  Object.assign(inlineEnv.env, { BRAKE_MAX_PER_USER: '1000', BRAKE_MAX_TOTAL: '1000', BRAKE_WINDOW_SECONDS: '1' });
  const inlineConfig = loadConfig(inlineEnv.env);
  const inlineStore = createStore(inlineConfig);
  const inlineRuntime = benchRuntime(inlineEnv, { store: inlineStore, seams: { execute: createBenchExecutors(infra, inlineConfig, inlineStore).execute } });
  const fixture = fixtureTimes(dataverseTemplate);
  const inline = processInline(inlineRuntime.store, { ...inlineRuntime.queue, now: fixture.clock });

  progress(`seeding ${tenant.subscriptions.length} subscriptions and ${options.linkedItems} linked items`);
  await registerSubscriptions(queuedRuntime.store, tenant);
  await registerSubscriptions(inlineRuntime.store, tenant);
  const linked = await seedLinkedItems(inlineRuntime.store, tenant, options.linkedItems, fixture.meetingStart);

  const storageRoundTripMs = await medianRoundTripMs(queuedRuntime.store, 50);
  const queuedHost = await startHost(queuedRuntime.http);
  const inlineHost = await startHost({ ...inlineRuntime.http, store: inline.store }).catch(async (error: unknown) => {
    await queuedHost.close();
    throw error;
  });
  const bareHost = await startBareHost(infra.azurite.connectionString, 'bench-ackbare').catch(async (error: unknown) => {
    await queuedHost.close();
    await inlineHost.close();
    throw error;
  });
  const variants: Record<Side, Variant> = {
    queued: { host: queuedHost, webhookKey: queuedEnv.webhookKey, idle: async () => undefined },
    inline: { host: inlineHost, webhookKey: inlineEnv.webhookKey, idle: inline.idle },
    // The same bodies as the queued host gets (its key and subscriptions), which the bare route does not look at.
    bare: { host: bareHost, webhookKey: queuedEnv.webhookKey, idle: async () => undefined },
  };
  let sequence = 0;
  const used: Record<Side, number> = { queued: 0, inline: 0, bare: 0 };
  const dataverseHeadersOnce = dataverseHeaders(dataverseTemplate);
  const requestFor = (kind: Kind, side: Side): (() => LoadRequest) => {
    if (kind === 'dataverse') {
      const path = `/api/dataverse/webhook?code=${encodeURIComponent(variants[side].webhookKey)}`;
      return () => ({ path, headers: dataverseHeadersOnce, body: dataverseDeleteBody(dataverseTemplate, randomUUID()) });
    }
    return () => {
      const target = linked[used[side]++ % linked.length]!;
      return { path: '/api/graph/notifications', headers: { 'content-type': 'application/json' }, body: graphDeletedBody(graphTemplate, [target], `bench-${sequence++}`) };
    };
  };

  const rows: AckRow[] = [];
  try {
    // Warm-up, not recorded: JIT, storage connections and tables, so the first step measures the steady state.
    for (const side of SIDES) {
      for (const kind of ['graph', 'dataverse'] as const) {
        await runLoadStep(variants[side].host.url, options.warmUpRate, requestFor(kind, side), { ...options, durationSeconds: options.warmUpSeconds });
        await variants[side].idle();
      }
    }
    progress('warmed up');
    for (const kind of ['graph', 'dataverse'] as const) {
      for (const rate of options.rates) {
        const step = async (side: Side) => {
          const result = await runLoadStep(variants[side].host.url, rate, requestFor(kind, side), options);
          await variants[side].idle();
          await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
          return result;
        };
        const queued = await step('queued');
        const inlineStep = await step('inline');
        const bare = await step('bare');
        rows.push({ kind, queued, inline: inlineStep, bare });
        if (kind === 'graph' && used.inline > linked.length) progress(`note: the inline host was sent more notifications (${used.inline}) than linked items (${linked.length})`);
        progress(
          `ack ${kind} @${rate}/s: queued ${queued.sustainedRate.toFixed(0)}/s p99 ${queued.p99Ms} ms; inline ${inlineStep.sustainedRate.toFixed(0)}/s p99 ${inlineStep.p99Ms} ms; bare ${bare.sustainedRate.toFixed(0)}/s p99 ${bare.p99Ms} ms`,
        );
      }
    }
  } finally {
    for (const side of SIDES) await variants[side].host.close();
  }
  return { rows, storageRoundTripMs };
}
