/**
 * Sections 2, 3 and 5: a meeting deleted in CRM, end to end (10 to 2,000 attendees). The sandbox Dataverse fires the registered
 * Delete step → POST /api/dataverse/webhook → queue → worker → processor → executor → sandbox Graph.
 * Each meeting has an organizer and N internal attendees, all linked in the store (as the link import
 * leaves them), so every copy is a target. Measured: from the webhook's delivery to the last copy's
 * delete (sandbox delete log), Graph HTTP requests sent (counted at the client), and retries.
 */
import type { DirectoryUser } from '../sandbox/index.js';
import type { Link } from '../src/domain/link.js';
import { seededRandom } from '../sandbox/faults.js';
import { loadConfig } from '../src/config.js';
import { startService, type RunningService } from '../src/server/start.js';
import { createStore } from '../src/store/index.js';
import { inParallel } from './acknowledge.js';
import { registerDeleteWebhook } from './dataverse-step.js';
import { createBenchExecutors, type BenchExecutors, type Strategy } from './executor.js';
import { REQUEST_LATENCY_MS, resetFaults, type BenchInfra } from './infra.js';
import { benchEnv, benchLog } from './service.js';

export interface FanOutRun {
  attendees: number;
  strategy: Strategy;
  throttledShare: number;
  /** Mailbox copies deleted (organizer + attendees). */
  copies: number;
  /** Webhook delivered → last copy deleted. */
  wallMs: number;
  /** First Graph request → last copy deleted: the fan-out alone. */
  fanOutMs: number;
  graphRequests: number;
  /** Organizer's request → the next Graph request (attendees' first batch): tombstones are written in between. */
  organizerToAttendeesMs: number;
  /** Items sent again after a 429 or a failure (per item for $batch, per request one at a time). */
  retries: number;
  /** Copies answered 429 at least once (sandbox injection). */
  throttledCopies: number;
  /** Size of the Delete webhook body, and whether Dataverse stripped its pre-image for passing 256 KB. */
  webhookBytes: number;
  sizeExceeded: boolean;
  /** The least `fanOutMs` the sandbox's latency and `$batch` model allows (fanOutLowerBoundMs / throttledLowerBoundMs). */
  lowerBoundMs: number;
}

export interface FanOutOptions {
  sizes: number[];
  /** Sizes also run one request at a time (the baseline is slow: about one request time per copy). */
  oneAtATimeSizes: number[];
  throttledShare: number;
  throttledSize: number;
  timeoutMs: number;
}

export interface FanOutResult {
  scale: FanOutRun[];
  throttled: FanOutRun & { retryAfterMs: number; latencyMs: number };
}

const RETRY_AFTER_SECONDS = 1;

interface Cast {
  organizer: DirectoryUser;
  attendees: DirectoryUser[];
}

function meetingTimes(daysAhead: number) {
  const start = new Date(Date.now() + daysAhead * 86_400_000);
  const end = new Date(start.getTime() + 3_600_000);
  return { start, end };
}

/** The meeting in Outlook (organizer's copy + one per attendee), in CRM, and linked in the store. */
async function createMeeting(infra: BenchInfra, service: RunningService, cast: Cast, size: number): Promise<{ crmId: string; copies: Map<string, string> }> {
  const attendees = cast.attendees.slice(0, size);
  const { start, end } = meetingTimes(7);
  const slot = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });
  const created = infra.sandbox.graph.createEvent(cast.organizer.id, {
    subject: `Bench meeting with ${size} attendees`,
    start: slot(start),
    end: slot(end),
    attendees: attendees.map((a) => ({ type: 'required', emailAddress: { address: a.mail, name: a.displayName } })),
  });
  const iCalUId = String(created.iCalUId);
  const copies = new Map(infra.sandbox.graph.meetingCopies(iCalUId).map((c) => [c.userId, String(c.event.id)]));
  const crmId = (
    await infra.sandbox.dataverse.createAppointment({
      subject: `Bench meeting with ${size} attendees`,
      start,
      end,
      organizer: { logicalName: 'systemuser', id: cast.organizer.systemUserId },
      requiredAttendees: attendees.map((a) => ({ logicalName: 'systemuser', id: a.systemUserId })),
      globalobjectid: /^[0-9A-F]+$/i.test(iCalUId) ? iCalUId : undefined,
    })
  ).toLowerCase();
  // Creating a 2,000-copy meeting in the in-process sandbox holds the event loop for seconds; let the
  // storage sockets Azurite closed meanwhile be seen as closed before the store reuses them.
  await settle();
  const now = new Date().toISOString();
  const party = (user: DirectoryUser, role: 'organizer' | 'required') => ({ role, type: 'systemuser', id: user.systemUserId.toLowerCase(), address: user.mail });
  // What the store holds of the record (as processing its Create/Update would leave it): a Delete of a
  // meeting this large passes 256 KB, so Dataverse strips the pre-image and the decision reads this.
  await service.runtime.store.snapshots.put({
    ref: { entity: 'appointment', id: crmId },
    statecode: 3,
    scheduledStart: start.toISOString(),
    owner: { entity: 'systemuser', id: cast.organizer.systemUserId.toLowerCase() },
    organizer: party(cast.organizer, 'organizer'),
    requiredAttendees: attendees.map((a) => party(a, 'required')),
    optionalAttendees: [],
    globalObjectId: null,
    messageId: null,
    takenAt: now,
  });
  const links: Link[] = [cast.organizer, ...attendees].map((user) => ({
    crm: { entity: 'appointment', id: crmId },
    userId: user.id,
    crmUserId: user.systemUserId.toLowerCase(),
    itemKind: 'event',
    itemId: copies.get(user.id)!,
    role: user === cast.organizer ? 'organizer' : 'attendee',
    listId: null,
    source: 'bench',
    updatedAt: now,
  }));
  await inParallel(links, 32, (link) => service.runtime.store.links.put(link));
  return { crmId, copies };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function runOne(
  infra: BenchInfra,
  service: RunningService,
  executors: BenchExecutors,
  cast: Cast,
  size: number,
  strategy: Strategy,
  throttledShare: number,
  timeoutMs: number,
): Promise<FanOutRun> {
  const { sandbox } = infra;
  resetFaults(sandbox);
  const { crmId, copies } = await createMeeting(infra, service, cast, size);
  const random = seededRandom(size);
  const throttled = cast.attendees.slice(0, size).filter(() => random() < throttledShare);
  for (const user of throttled) sandbox.faults.inject('graph', { kind: 'throttle', retryAfterSeconds: RETRY_AFTER_SECONDS }, { key: user.id });
  executors.use(strategy);

  const requestsBefore = infra.requests.count(sandbox.graphUrl);
  const triggeredAt = Date.now();
  await sandbox.dataverse.userDeletes(cast.organizer.systemUserId, 'appointment', crmId);
  const wanted = new Set(copies.values());
  const deletes = await waitFor(`${copies.size} deletes`, timeoutMs, () => {
    const done = sandbox.deleteLog.entries({ side: 'graph', via: 'api' }).filter((d) => wanted.has(d.id) && d.status < 300);
    return done.length >= wanted.size ? done : undefined;
  });
  const delivery = sandbox.dataverse.deliveries({ recordId: crmId, message: 'Delete' })[0];
  const webhookAt = delivery?.attempts[0]?.at ?? triggeredAt;
  const lastDelete = Math.max(...deletes.map((d) => d.at));
  const [firstGraph = webhookAt, secondGraph = firstGraph] = infra.requests.sentSince(sandbox.graphUrl, triggeredAt);
  await executors.idle();
  const graphRequests = infra.requests.count(sandbox.graphUrl) - requestsBefore;
  const itemsSent = strategy === 'batched' ? executors.itemsSent() : graphRequests;
  return {
    attendees: size,
    strategy,
    throttledShare,
    copies: copies.size,
    wallMs: lastDelete - webhookAt,
    fanOutMs: lastDelete - firstGraph,
    organizerToAttendeesMs: secondGraph - firstGraph,
    graphRequests,
    retries: itemsSent - copies.size,
    throttledCopies: throttled.length,
    webhookBytes: delivery?.bytes ?? 0,
    sizeExceeded: delivery?.sizeExceeded ?? false,
    lowerBoundMs: throttled.length > 0 ? throttledLowerBoundMs(REQUEST_LATENCY_MS, RETRY_AFTER_SECONDS * 1000) : fanOutLowerBoundMs(REQUEST_LATENCY_MS),
  };
}

/**
 * The least time, first Graph request → last delete, the sandbox's model allows a meeting whose copies
 * are each in their own mailbox (the bench's meetings): every request takes the latency L, and so does
 * the `$batch` carrying it; a batch runs its Outlook requests 4 at a time; each mailbox takes 4 at once;
 * Graph documents no limit on unordered batches in flight. So the organizer's copy (first, alone) takes
 * one batch, 2L, and then every attendee's copy can be in a batch of its own running at the same time:
 * another 2L, however many attendees there are (one copy per mailbox never meets the mailbox limit).
 * What a real client adds on top (HTTP, TLS, JSON, its own cap on batches in flight) is what the target
 * of ≤ 2× leaves room for.
 */
export function fanOutLowerBoundMs(latencyMs: number): number {
  return 2 * latencyMs + 2 * latencyMs;
}

/**
 * The same for a fan-out in which some attendee copies are answered 429 once: the organizer's batch
 * (2L), a throttled copy's first answer (2L), no retry before Retry-After, and its retry (2L):
 * 6L + Retry-After.
 */
export function throttledLowerBoundMs(latencyMs: number, retryAfterMs: number): number {
  return 6 * latencyMs + retryAfterMs;
}

export async function runFanOuts(infra: BenchInfra, options: FanOutOptions, progress: (line: string) => void): Promise<FanOutResult> {
  const largest = Math.max(...options.sizes, options.throttledSize);
  const cast: Cast = {
    organizer: infra.sandbox.directory.add({ displayName: 'Bench Organizer', canDelete: true }),
    attendees: Array.from({ length: largest }, (_, i) => infra.sandbox.directory.add({ displayName: `Bench Attendee ${i}` })),
  };
  const bench = benchEnv(infra, 'fanout');
  // The mass-delete brake keeps its defaults: it counts decisions, and each meeting here is one.
  const { env } = bench;
  // The executor works on the same tables as the service (its own client instances over them).
  const config = loadConfig(env);
  const executors = createBenchExecutors(infra, config, createStore(config));
  const service = await startService({
    env,
    log: benchLog,
    seams: { execute: executors.execute },
  });
  try {
    await registerDeleteWebhook(infra.dataverse, infra.sandbox.dataverseUrl, `${service.url}/api/dataverse/webhook`, bench.webhookKey);
    const scale: FanOutRun[] = [];
    for (const size of options.sizes) {
      const strategies = options.oneAtATimeSizes.includes(size) ? (['batched', 'one-at-a-time'] as const) : (['batched'] as const);
      for (const strategy of strategies) {
        const run = await runOne(infra, service, executors, cast, size, strategy, 0, options.timeoutMs);
        scale.push(run);
        progress(`fan-out ${size} attendees ${strategy}: ${run.wallMs} ms webhook → last delete, ${run.fanOutMs} ms fan-out (bound ${run.lowerBoundMs} ms), ${run.graphRequests} Graph requests, ${run.retries} retries`);
      }
    }
    const throttledRun = await runOne(infra, service, executors, cast, options.throttledSize, 'batched', options.throttledShare, options.timeoutMs);
    const retryAfterMs = RETRY_AFTER_SECONDS * 1000;
    progress(`throttled fan-out ${options.throttledSize}: ${throttledRun.fanOutMs} ms fan-out (bound ${throttledRun.lowerBoundMs} ms), ${throttledRun.retries} retries`);
    return { scale, throttled: { ...throttledRun, retryAfterMs, latencyMs: REQUEST_LATENCY_MS } };
  } finally {
    resetFaults(infra.sandbox);
    await service.stop();
  }
}
