/**
 * A world for the reliability runs: Azurite (persistent, so it can be stopped and brought back), the
 * tenant sandbox in this process, and the service in a child process (reliability-process.ts) that the
 * tests kill and restart. Set up as a deployment is: the Dataverse webhook registered with the code behind
 * `delete-sync register`, Graph subscriptions made by the service's own subscription timer. The test
 * process reads the same storage (decision records, links) through its own store.
 */
import { randomBytes } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { freePort, quiescer, registerWebhook, scratch, worldEnv } from '../../demo/world.js';
import { startTenantSandbox, type DirectoryUser, type TenantSandbox } from '../../sandbox/index.js';
import { createService } from '../../src/app/service.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { CrmRef } from '../../src/domain/event.js';
import { writeMarker } from '../../src/links/markers.js';
import { silentLogger } from '../../src/log.js';
import type { DecisionRecord } from '../../src/store/decisions.js';
import { createStore, type Store } from '../../src/store/index.js';
import { startTestAzurite, type TestAzurite } from './azurite.js';
import { serviceProcess, type ServiceProcess } from './reliability-process.js';

export interface Copy {
  user: DirectoryUser;
  itemId: string;
}

/** A CRM record and its linked Outlook copies. */
export interface Tracked {
  ref: CrmRef;
  kind: 'event' | 'contact';
  copies: Copy[];
}

export interface ReliabilityWorld {
  sb: TenantSandbox;
  azurite: TestAzurite;
  service: ServiceProcess;
  store: Store;
  config: Config;
  /** The service's settings (for the delete-sync CLI, which reads the same). */
  env: Record<string, string>;
  /** Secrets the service was given, for the log check. */
  secrets: string[];
  users: DirectoryUser[];
  /** A future meeting in CRM with copies in the organizer's and every attendee's mailbox, all linked. */
  trackMeeting(subject: string, organizer: DirectoryUser, attendees: DirectoryUser[]): Promise<Tracked>;
  /** A CRM contact owned by `owner` with linked copies in `holders`' mailboxes (the owner's included). */
  trackContact(lastname: string, owner: DirectoryUser, holders: DirectoryUser[]): Promise<Tracked>;
  /** Every decision record (newest first). */
  decisions(): Promise<DecisionRecord[]>;
  /** Waits until nothing is in flight: sandbox deliveries done, the queue empty (leased messages count). */
  quiesce(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ReliabilityWorldOptions {
  users?: number;
  /** More service settings (DRY_RUN, QUEUE_BATCH_SIZE …). */
  env?: Record<string, string>;
}

const DAY_MS = 86_400_000;
const graphTime = (ms: number) => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });

export async function startReliabilityWorld(options: ReliabilityWorldOptions = {}): Promise<ReliabilityWorld> {
  const { dir, stops, close } = await scratch('delete-sync-reliability-');
  try {
    const [azurite, sb] = await Promise.all([startTestAzurite({ persistent: true }), startTenantSandbox()]);
    stops.push(() => azurite.dispose(), () => sb.close());
    const users = Array.from({ length: options.users ?? 6 }, (_, i) => sb.directory.add({ displayName: `Person ${i}`, canDelete: true }));
    const port = await freePort();
    const webhookKey = randomBytes(24).toString('base64url');
    const adminKey = randomBytes(24).toString('base64url');
    const env: Record<string, string> = {
      ...(await worldEnv({ sb, dir, storageConnectionString: azurite.connectionString, port, syncUsers: users, webhookKey, adminKey })),
      QUEUE_LEASE_SECONDS: '6',
      QUEUE_MAX_POLL_MS: '100',
      LOG_LEVEL: 'info',
      ...options.env,
    };
    const config = loadConfig(env);
    const store = createStore(config);
    // This process only reads and registers; it never runs a worker.
    const composed = createService(config, { log: silentLogger, env, store });
    if (composed.clients === null) throw new Error('no clients composed');
    const { dataverse } = composed.clients;

    const service = serviceProcess(env, port);
    stops.push(() => service.stop());
    await service.start();

    await registerWebhook(dataverse, sb, service.url, webhookKey);

    const queue = new QueueClient(azurite.connectionString, config.queue.name);
    const queueLength = async () => {
      try {
        return (await queue.getProperties()).approximateMessagesCount ?? 0;
      } catch {
        return -1;
      }
    };
    const quiesce = quiescer(sb, queueLength, { pollMs: 100, timeoutMs: 30_000 });

    // The service's subscription timer subscribes every synced mailbox at start.
    const subscribed = Date.now() + 20_000;
    while (sb.graph.listSubscriptions().length < users.length * 2) {
      if (Date.now() > subscribed) throw new Error(`only ${sb.graph.listSubscriptions().length} subscriptions after 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Links form as on a real tenant (docs/operator-guide.md § Linking): the service learns them itself.
    const linked = async (ref: CrmRef, copies: Copy[]) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        await quiesce();
        const links = await Promise.all(copies.map((c) => store.links.getByItem(c.user.id, c.itemId)));
        if (links.every((l) => l?.crm.id.toLowerCase() === ref.id.toLowerCase())) return;
        if (Date.now() > deadline) throw new Error(`the service did not link every copy of ${ref.entity} ${ref.id}`);
      }
    };
    const { graph } = composed.clients;

    return {
      sb,
      azurite,
      service,
      store,
      config,
      env,
      secrets: [webhookKey, adminKey, sb.client.clientSecret],
      users,
      async trackMeeting(subject, organizer, attendees) {
        const start = Date.now() + 3 * DAY_MS;
        const event = sb.graph.createEvent(organizer.id, {
          subject,
          start: graphTime(start),
          end: graphTime(start + 3_600_000),
          attendees: attendees.map((a) => ({ emailAddress: { address: a.mail, name: a.displayName }, type: 'required' as const })),
        });
        const iCalUId = String(event.iCalUId);
        const id = await sb.dataverse.createAppointment({
          subject,
          start,
          end: start + 3_600_000,
          statecode: 3,
          organizer: { logicalName: 'systemuser', id: organizer.systemUserId },
          requiredAttendees: attendees.map((a) => ({ logicalName: 'systemuser', id: a.systemUserId })),
          globalobjectid: iCalUId,
        });
        const ref = { entity: 'appointment', id };
        const copies = sb.graph.meetingCopies(iCalUId).map(({ userId, event: e }) => ({
          user: users.find((u) => u.id === userId) as DirectoryUser,
          itemId: String(e.id),
        }));
        // The CRM Create webhook makes the service find the copies by iCalUId.
        await linked(ref, copies);
        return { ref, kind: 'event', copies };
      },
      async trackContact(lastname, owner, holders) {
        const input = { givenName: 'Carla', surname: lastname, emailAddresses: [{ address: `carla.${lastname.toLowerCase()}@fabrikam.test` }] };
        const copies = holders.map((user) => ({ user, itemId: String(sb.graph.createContact(user.id, input).id) }));
        const id = await sb.dataverse.createContact({ firstname: 'Carla', lastname, emailaddress1: input.emailAddresses[0]!.address, ownerId: owner.systemUserId });
        const ref = { entity: 'contact', id };
        // The tracker stamps each copy with the service's CRM-id property; the notifications teach the service.
        for (const copy of copies) {
          await writeMarker(graph, { userId: copy.user.id, itemKind: 'contact', itemId: copy.itemId, listId: null }, { entity: 'contact', id }, { displayName: lastname, webUrl: null });
        }
        await linked(ref, copies);
        return { ref, kind: 'contact', copies };
      },
      decisions: () => store.decisions.listRecent(5000),
      quiesce,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
