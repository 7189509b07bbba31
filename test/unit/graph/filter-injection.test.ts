/**
 * `$filter` values from bodies and notifications: the Graph SDK v3 puts $filter into the URL as given,
 * so the service encodes the expression and accepts only a known character set. Against the sandbox,
 * whose $filter understands `or` and `ne` as Graph does, an unencoded `%27 or … ne %27` would match
 * every item in the mailbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../sandbox/index.js';
import { collectionPath, eqFilter, findEventsByICalUId, isSafeICalUId, isSafeInternetMessageId } from '../../../src/graph/items.js';
import { codedError } from '../contracts/coded-error.js';
import { meetingTimes, startSandboxClients, type SandboxClients } from './sandbox-clients.js';

let s: SandboxClients;
let user: DirectoryUser;

beforeAll(async () => {
  s = await startSandboxClients();
  user = s.sandbox.directory.add({ displayName: 'Filter Target' });
  s.sandbox.graph.createEvent(user.id, { subject: 'one', ...meetingTimes(1) });
  s.sandbox.graph.createEvent(user.id, { subject: 'two', ...meetingTimes(2) });
  for (const subject of ['a', 'b']) s.sandbox.graph.createMessage(user.id, { subject, toRecipients: [] });
});

afterAll(async () => {
  await s.sandbox.close();
});

const INJECTION = 'x%27%20or%20internetMessageId%20ne%20%27';

async function messagesMatching(filter: string): Promise<unknown[]> {
  const page = (await s.graph.api(collectionPath(user.id, 'message')).filter(filter).select(['id']).get()) as { value: unknown[] };
  return page.value;
}

describe('$filter values are encoded and checked', () => {
  it('the sandbox shows what an unencoded value does: the literal ends and every message matches', async () => {
    expect(await messagesMatching(`internetMessageId eq '<${INJECTION}@x>'`)).toHaveLength(2);
  });

  it('encoded, the same value is one literal and matches nothing', async () => {
    expect(await messagesMatching(eqFilter('internetMessageId', `<${INJECTION}@x>`, isSafeInternetMessageId))).toHaveLength(0);
  });

  it.each(['<a&b=c@x>', '<a#b@x>', "<o'brien@x>", '<100%25@x>'])('%s stays inside its literal', async (value) => {
    expect(isSafeInternetMessageId(value)).toBe(true);
    expect(await messagesMatching(eqFilter('internetMessageId', value, isSafeInternetMessageId))).toHaveLength(0);
  });

  it('an iCalUId outside the accepted character set is refused before any request', async () => {
    for (const value of ["x' or iCalUId ne '", 'x%27 or iCalUId ne %27', 'a&b', 'a#b', 'a b', '']) {
      expect(isSafeICalUId(value)).toBe(false);
      await expect(findEventsByICalUId(s.graph, user.id, value)).rejects.toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'iCalUId' });
    }
    expect(codedError(() => eqFilter('internetMessageId', 'no-angle-brackets', isSafeInternetMessageId))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD' });
  });

  it('real iCalUIds are accepted and found', async () => {
    const [event] = s.sandbox.graph.meetingCopies(String(s.sandbox.graph.createEvent(user.id, { subject: 'three', ...meetingTimes(3) }).iCalUId));
    const iCalUId = String(event?.event.iCalUId);
    expect(isSafeICalUId(iCalUId)).toBe(true);
    expect(isSafeICalUId('meeting-42@example.org')).toBe(true);
    expect(await findEventsByICalUId(s.graph, user.id, iCalUId)).toHaveLength(1);
  });
});
