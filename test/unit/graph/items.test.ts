import { describe, expect, it } from 'vitest';
import { cancelOp, deleteOp, iCalUIdFromGlobalObjectId, itemPath } from '../../../src/graph/items.js';

describe('iCalUIdFromGlobalObjectId', () => {
  // MS-ASEMAIL 4.3 example 1: the same PidLidGlobalObjectId as base64 (ActiveSync) and as the hex UID.
  const base64 = 'BAAAAIIA4AB0xbcQGoLgCAfUCRDgQMnBJoXEAQAAAAAAAAAAEAAAAAvw7UtuTulOnjnjhns3jvM=';
  const hex = '040000008200E00074C5B7101A82E00807D40910E040C9C12685C4010000000000000000100000000BF0ED4B6E4EE94E9E39E3867B378EF3';

  it('upper-cases a hex value', () => {
    expect(iCalUIdFromGlobalObjectId(hex.toLowerCase())).toBe(hex);
    expect(iCalUIdFromGlobalObjectId(` ${hex} `)).toBe(hex);
  });

  it('turns the base64 form of the binary id into hex', () => {
    expect(iCalUIdFromGlobalObjectId(base64)).toBe(hex);
  });

  it('leaves a third-party UID as it is', () => {
    expect(iCalUIdFromGlobalObjectId('meeting-42@example.org')).toBe('meeting-42@example.org');
    expect(iCalUIdFromGlobalObjectId('abcDEF')).toBe('ABCDEF');
  });
});

describe('item paths and operations', () => {
  const user = '2f6b1f4e-0000-4000-8000-000000000001';

  it('addresses each kind of item under its mailbox, encoding ids', () => {
    expect(itemPath({ userId: user, itemKind: 'event', itemId: 'AAMk/a+b=', listId: null })).toBe(`/users/${user}/events/AAMk%2Fa%2Bb%3D`);
    expect(itemPath({ userId: user, itemKind: 'contact', itemId: 'c1', listId: null })).toBe(`/users/${user}/contacts/c1`);
    expect(itemPath({ userId: user, itemKind: 'message', itemId: 'm1', listId: null })).toBe(`/users/${user}/messages/m1`);
    expect(itemPath({ userId: user, itemKind: 'todoTask', itemId: 't1', listId: 'l1' })).toBe(`/users/${user}/todo/lists/l1/tasks/t1`);
  });

  it('refuses a To Do task without its list', () => {
    expect(() => itemPath({ userId: user, itemKind: 'todoTask', itemId: 't1', listId: null })).toThrow(/list id/);
  });

  it('builds delete and cancel requests keyed by mailbox', () => {
    expect(deleteOp('k', { userId: user, itemKind: 'event', itemId: 'e1', listId: null })).toEqual({
      key: 'k',
      mailbox: user,
      method: 'DELETE',
      url: `/users/${user}/events/e1`,
    });
    expect(cancelOp('k', { userId: user, itemKind: 'event', itemId: 'e1', listId: null }, 'bye')).toEqual({
      key: 'k',
      mailbox: user,
      method: 'POST',
      url: `/users/${user}/events/e1/cancel`,
      body: { comment: 'bye' },
    });
    expect(() => cancelOp('k', { userId: user, itemKind: 'contact', itemId: 'c1', listId: null }, 'bye')).toThrow();
  });
});
