/**
 * Redelivery: every input delivered one to three times, shuffled, interleaved with the echoes of the
 * service's own deletes → the table's final state, and exactly one decision per real delete (a person's),
 * the rest recorded as echoes. The service's complete log output of the run is then searched for any
 * key, client secret, clientState, access token or validation token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../sandbox/faults.js';
import type { DecisionRecord } from '../../src/store/decisions.js';
import { expectExactlyTargetsRemoved } from '../helpers/reliability-checks.js';
import { repeatNotifications, repeatWebhooks } from '../helpers/reliability-redelivery.js';
import { runs, suiteSeed } from '../helpers/reliability-runs.js';
import { startReliabilityWorld, type ReliabilityWorld, type Tracked } from '../helpers/reliability-world.js';

let world: ReliabilityWorld;
const seed = suiteSeed('redelivery', 1337);
const random = seededRandom(seed);
let notifications: { sent: () => number };

beforeAll(async () => {
  world = await startReliabilityWorld({ users: 6 });
  notifications = repeatNotifications(world.sb, random);
}, 90_000);
afterAll(async () => world?.close());

const isRealDelete = (r: DecisionRecord) => r.status !== 'echo' && r.input?.change === 'deleted';

describe(`redelivery (seed ${seed})`, () => {
  const count = runs(1, 10);
  it.each(Array.from({ length: count }, (_, i) => i + 1))(`run %i of ${count}: 1–3 deliveries of everything → table state, one decision per real delete`, async (run) => {
    const { sb, users } = world;
    const shuffled = [...users].sort(() => random() - 0.5);
    const [olga, alice, bob, ...rest] = shuffled as [typeof users[0], typeof users[0], typeof users[0]];
    const crmMeeting = await world.trackMeeting(`CRM meeting ${run}`, olga, [alice, bob, ...rest]);
    const crmContact = await world.trackContact(`Crm${run}`, alice, users);
    const outlookMeeting = await world.trackMeeting(`Outlook meeting ${run}`, alice, [olga, bob]);
    const attendeeMeeting = await world.trackMeeting(`Attendee meeting ${run}`, bob, [olga, alice]);
    const outlookContact = await world.trackContact(`Outlook${run}`, olga, [olga, alice, bob]);
    await world.quiesce();
    const decisionsBefore = (await world.decisions()).length;
    const since = sb.deleteLog.entries().length;
    const webhooksSince = sb.dataverse.deliveries().length;
    const copyOf = (t: Tracked, u: typeof olga) => t.copies.find((c) => c.user === u)!;

    // Five real deletes by people, in a random order: two in CRM, three in Outlook.
    const actions = [
      () => sb.dataverse.userDeletes(olga.systemUserId, 'appointment', crmMeeting.ref.id),
      () => sb.dataverse.userDeletes(alice.systemUserId, 'contact', crmContact.ref.id),
      async () => void sb.graph.userDeletesItem(alice.id, 'event', copyOf(outlookMeeting, alice).itemId),
      async () => void sb.graph.userDeletesItem(olga.id, 'event', copyOf(attendeeMeeting, olga).itemId),
      async () => void sb.graph.userDeletesItem(bob.id, 'contact', copyOf(outlookContact, bob).itemId),
    ].sort(() => random() - 0.5);
    for (const act of actions) await act();
    await sb.dataverse.settle();
    const repeatedWebhooks = await repeatWebhooks(sb, `${world.service.url}/api/dataverse/webhook`, world.secrets[0]!, webhooksSince, random);
    await world.quiesce(60_000);

    // The table: CRM-deleted future meeting → every copy; CRM-deleted contact → all but the owner's;
    // organizer deletes in Outlook → the CRM record, whose deletion then takes the attendees' copies;
    // attendee or non-owner deletes → nothing else.
    const kind = (c: Tracked['copies'][number]) => ([crmContact, outlookContact].some((t) => t.copies.includes(c)) ? 'contact' : 'event');
    expectExactlyTargetsRemoved(sb, {
      targets: [...crmMeeting.copies, ...crmContact.copies.filter((c) => c.user !== alice), ...outlookMeeting.copies],
      bystanders: [
        copyOf(crmContact, alice),
        ...attendeeMeeting.copies.filter((c) => c.user !== olga),
        ...outlookContact.copies.filter((c) => c.user !== bob),
      ],
      kind,
      records: [outlookMeeting.ref],
      since,
    });
    expect(sb.dataverse.exists('appointment', outlookMeeting.ref.id), 'organizer delete in Outlook reaches CRM').toBe(false);
    expect(sb.dataverse.exists('appointment', attendeeMeeting.ref.id), 'attendee delete stays in Outlook').toBe(true);
    expect(sb.dataverse.exists('contact', outlookContact.ref.id), 'contact delete in Outlook stays there').toBe(true);
    expect(sb.deleteLog.entries().slice(since).filter((r) => r.side === 'dataverse' && r.via === 'api').map((r) => [r.id, r.status])).toEqual([
      [outlookMeeting.ref.id.toLowerCase(), 204],
    ]);

    const records = (await world.decisions()).slice(0, -decisionsBefore || undefined);
    const real = records.filter(isRealDelete);
    const keys = real.map((r) => `${r.input?.origin}:${r.input?.origin === 'crm' ? r.input.crm?.id : r.input?.outlook?.itemId}`).sort();
    expect(keys).toEqual(
      [
        `crm:${crmMeeting.ref.id}`,
        `crm:${crmContact.ref.id}`,
        `outlook:${copyOf(outlookMeeting, alice).itemId}`,
        `outlook:${copyOf(attendeeMeeting, olga).itemId}`,
        `outlook:${copyOf(outlookContact, bob).itemId}`,
        // The service's own CRM delete for the organizer's Outlook delete is decided too (the cascade).
        `crm:${outlookMeeting.ref.id}`,
      ].sort(),
    );
    expect(records.filter((r) => r.status === 'echo').length).toBeGreaterThan(0);
    process.stderr.write(`[redelivery] run ${run}: ${notifications.sent()} notifications sent so far, ${repeatedWebhooks} webhook repeats, ${real.length} real deletes, ${records.length - real.length} other records\n`);
  }, 120_000);

  it('logs no key, client secret, clientState, access token or validation token in the whole run', async () => {
    const output = world.service.output();
    expect(output.length).toBeGreaterThan(1000);
    const clientStates = (await world.store.subscriptions.list()).map((s) => s.clientState);
    expect(clientStates.length).toBeGreaterThan(0);
    for (const secret of [...world.secrets, ...clientStates]) expect(output.includes(secret), 'a secret is in the log').toBe(false);
    // Entra access tokens are JWTs; the sandbox's handshake token starts with this sentence.
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/);
    expect(output).not.toMatch(/Bearer\s+[A-Za-z0-9]/);
    expect(output).not.toContain('Testing client application reachability');
  });
});
