/**
 * The service's real parts against the tenant sandbox and Azurite, all on loopback: the Fastify host
 * receives Graph's notifications and lifecycle events, the queue worker processes them (decisions, link
 * learning, lifecycle → subscription manager), and the sync services run the timers' jobs. Time is one
 * fast clock shared by the sandbox (subscription expiry) and the service.
 */
import type { FastifyInstance } from 'fastify';
import { startTenantSandbox, type DirectoryUser, type TenantSandbox } from '../../../sandbox/index.js';
import type { Config } from '../../../src/config.js';
import type { DomainEvent } from '../../../src/domain/event.js';
import { DataverseClient } from '../../../src/dataverse/client.js';
import { createCredential, credentialConfigFromEnv } from '../../../src/graph/auth.js';
import { createGraphClient } from '../../../src/graph/client.js';
import { createRuntime, type Runtime } from '../../../src/app/runtime.js';
import { createLogger } from '../../../src/log.js';
import { trustExtraCa } from '../../../src/net/ca.js';
import { buildServer } from '../../../src/server/app.js';
import { createQueueWorker } from '../../../src/server/worker.js';
import type { Store } from '../../../src/store/index.js';
import { createSyncServices, type SyncServices } from '../../../src/app/sync.js';
import { startTestAzurite, type TestAzurite } from '../../helpers/azurite.js';
import { testStore } from '../../helpers/store.js';

export const START = Date.parse('2031-05-01T08:00:00Z');

export interface Harness {
  sandbox: TenantSandbox;
  config: Config;
  store: Store;
  connectionString: string;
  /** The queue processor's dependencies (seams included), for events a test hands over directly. */
  processing: Runtime['queue'];
  server: FastifyInstance;
  users: DirectoryUser[];
  now(): number;
  /** Moves the shared clock; sandbox tokens expire by it, so the services are built afresh. */
  advance(ms: number): void;
  /** Sync services over fresh clients (a credential's cached token does not outlive a clock jump). */
  sync(options?: { skewMs?: number }): SyncServices;
  /** Waits for Graph's deliveries, then processes the queue until it is empty. */
  drain(): Promise<number>;
  close(): Promise<void>;
}

/** `realTime`: the clock follows the wall clock (for a spawned CLI, which has its own); else it starts at START. */
export async function startHarness(userNames: string[], options: { realTime?: boolean } = {}): Promise<Harness> {
  let offset = 0;
  const nowMs = () => (options.realTime ? Date.now() : START) + offset;
  const [sandbox, azurite]: [TenantSandbox, TestAzurite] = await Promise.all([startTenantSandbox({ clock: nowMs }), startTestAzurite()]);
  // The dispatcher is global and sandbox CAs share a name: one harness at a time per process.
  trustExtraCa(sandbox.ca);
  Object.assign(sandbox.graph.notificationSettings, { duplicateRate: 0, maxDelayMs: 0, backoffMs: 10, timeoutMs: 2000 });
  const users = userNames.map((displayName) => sandbox.directory.add({ displayName }));
  const { config, store } = testStore(azurite.connectionString, {
    GRAPH_TENANT_ID: sandbox.tenantId,
    SYNC_USERS: users.map((u) => u.id).join(','),
  });
  const log = createLogger({ level: (process.env.HARNESS_LOG as 'error') ?? 'error' });
  const clock = () => new Date(nowMs());

  const connect = (skewMs: number) => {
    // Signed in as the service signs in: from its AZURE_* settings.
    const settings = {
      AZURE_TENANT_ID: sandbox.tenantId,
      AZURE_CLIENT_ID: sandbox.client.clientId,
      AZURE_CLIENT_SECRET: sandbox.client.clientSecret,
      AZURE_AUTHORITY_HOST: sandbox.loginUrl,
    };
    const credential = createCredential(credentialConfigFromEnv(settings, sandbox.ca));
    return createSyncServices({
      config,
      store,
      log,
      now: () => new Date(nowMs() + skewMs),
      graph: createGraphClient({ credential, baseUrl: sandbox.graphUrl }),
      dataverse: new DataverseClient({ url: sandbox.dataverseUrl, credential }),
    });
  };
  let current = connect(0);
  // The queue's seams call whichever services are current, so a clock jump reaches them too.
  const runtime = createRuntime(config, {
    store,
    log,
    now: clock,
    seams: { handleLifecycle: (notice) => current.seams.handleLifecycle(notice), learnLinks: (event) => current.seams.learnLinks(event) },
  });
  const server = await buildServer(runtime.http);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  config.sync.publicBaseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const worker = createQueueWorker(runtime.queue, config.queue);

  return {
    sandbox,
    config,
    store,
    connectionString: azurite.connectionString,
    processing: runtime.queue,
    server,
    users,
    now: nowMs,
    advance(ms) {
      offset += ms;
      current = connect(0);
    },
    sync(options = {}) {
      current = connect(options.skewMs ?? 0);
      return current;
    },
    async drain() {
      let total = 0;
      for (;;) {
        await sandbox.graph.notificationsIdle();
        const taken = await worker.runOnce();
        total += taken;
        if (taken === 0) return total;
      }
    },
    async close() {
      await server.close();
      await sandbox.close();
      await azurite.dispose();
    },
  };
}

/** An hour-long meeting `daysAhead` days after the shared clock, in Graph's shape. */
export function meetingAt(nowMs: number, daysAhead: number) {
  const start = new Date(nowMs + daysAhead * 86_400_000);
  const end = new Date(start.getTime() + 3_600_000);
  return { start: { dateTime: start.toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: end.toISOString().slice(0, 19), timeZone: 'UTC' } };
}

/** A CRM Update of the appointment, normalised as the Dataverse webhook receiver would. */
export function crmAppointmentUpdate(a: { id: string; organizer: string; attendee: string; start: number; globalObjectId: string; statecode: number; at: number }): DomainEvent {
  const { id, organizer, attendee, start, globalObjectId, statecode, at } = a;
  const party = (role: 'organizer' | 'required', userId: string) => ({ role, type: 'systemuser', id: userId.toLowerCase(), address: null });
  return {
    id: `dataverse:op-${id}:Update:appointment:${id}`,
    origin: 'crm',
    change: 'updated',
    entity: 'appointment',
    receivedAt: new Date(at).toISOString(),
    crm: {
      ref: { entity: 'appointment', id },
      organizationId: 'org',
      operationId: `op-${id}`,
      correlationId: null,
      messageName: 'Update',
      initiatingUserId: organizer.toLowerCase(),
      initiatingUserAadObjectId: null,
      snapshot: {
        ref: { entity: 'appointment', id },
        statecode,
        scheduledStart: new Date(start).toISOString(),
        owner: { entity: 'systemuser', id: organizer.toLowerCase() },
        organizer: party('organizer', organizer),
        requiredAttendees: [party('required', attendee)],
        optionalAttendees: [],
        globalObjectId,
        messageId: null,
        takenAt: new Date(at).toISOString(),
      },
      preImageMissing: false,
      sizeExceeded: false,
    },
  };
}

/** A meeting `organizer` sends to `attendee` in Outlook, `daysAhead` days after the shared clock; `start` in ms. */
export function outlookMeeting(h: Harness, organizer: DirectoryUser, attendee: DirectoryUser, subject: string, daysAhead: number) {
  const meeting = h.sandbox.graph.createEvent(organizer.id, {
    subject,
    ...meetingAt(h.now(), daysAhead),
    attendees: [{ emailAddress: { address: attendee.mail }, type: 'required' }],
  });
  return { id: meeting.id as string, iCalUId: meeting.iCalUId as string, start: Date.parse(`${(meeting.start as { dateTime: string }).dateTime}Z`) };
}

/** The CRM appointment tracking that meeting (its globalobjectid as CRM keeps it); answers its id. */
export function crmAppointmentFor(
  h: Harness,
  m: { start: number; subject: string; organizer: DirectoryUser; attendee: DirectoryUser; globalObjectId: string; statecode: number },
): Promise<string> {
  return h.sandbox.dataverse.createAppointment({
    subject: m.subject,
    start: m.start,
    end: m.start + 3_600_000,
    statecode: m.statecode,
    organizer: { logicalName: 'systemuser', id: m.organizer.systemUserId },
    requiredAttendees: [{ logicalName: 'systemuser', id: m.attendee.systemUserId }],
    globalobjectid: m.globalObjectId,
  });
}
