/** Writing links by item: unchanged links are left alone; an item that names another record leaves the old one. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Link } from '../../../src/domain/link.js';
import { storeLink } from '../../../src/links/store-link.js';
import type { Store } from '../../../src/store/index.js';
import { startTestAzurite, type TestAzurite } from '../../helpers/azurite.js';
import { testStore } from '../../helpers/store.js';

let azurite: TestAzurite;
let store: Store;
beforeAll(async () => {
  azurite = await startTestAzurite();
  store = testStore(azurite.connectionString).store;
});
afterAll(async () => azurite?.dispose());

const OLD = { entity: 'appointment', id: '11111111-1111-4111-8111-111111111111' };
const NEW = { entity: 'appointment', id: '22222222-2222-4222-8222-222222222222' };
const link = (crm: Link['crm'], role: Link['role'] = 'attendee'): Link => ({
  crm,
  userId: 'user-1',
  crmUserId: null,
  itemKind: 'event',
  itemId: 'AAMkAD+item/1=',
  role,
  listId: null,
  source: 'test',
  updatedAt: '2031-05-01T00:00:00.000Z',
});

describe('storeLink', () => {
  it('links, leaves an identical link alone, updates the role, and moves a relinked item off the old record', async () => {
    expect(await storeLink(store, link({ entity: 'Appointment', id: OLD.id.toUpperCase() }))).toBe('linked');
    expect(await store.links.getByItem('user-1', 'AAMkAD+item/1=')).toMatchObject({ crm: OLD });
    expect(await storeLink(store, link(OLD))).toBe('unchanged');
    expect(await storeLink(store, link(OLD, 'organizer'))).toBe('linked');
    expect(await store.links.listByRecord(OLD)).toMatchObject([{ role: 'organizer' }]);

    expect(await storeLink(store, link(NEW))).toBe('relinked');
    expect(await store.links.listByRecord(OLD)).toEqual([]);
    expect(await store.links.listByRecord(NEW)).toHaveLength(1);
    expect(await store.links.getByItem('user-1', 'AAMkAD+item/1=')).toMatchObject({ crm: NEW });
  });

  it('does not read the item again when the caller passes the link it has just read', async () => {
    let reads = 0;
    const links = new Proxy(store.links, {
      get(target, name) {
        const value = Reflect.get(target, name, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (name === 'getByItem') reads += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const counting: Store = { ...store, links };
    const item = { ...link(OLD), itemId: 'AAMkAD+item/2=' };
    expect(await storeLink(counting, item, null)).toBe('linked');
    const existing = await store.links.getByItem('user-1', item.itemId);
    expect(await storeLink(counting, item, existing)).toBe('unchanged');
    expect(await storeLink(counting, { ...item, crm: NEW }, existing)).toBe('relinked');
    expect(await store.links.listByRecord(OLD)).toEqual([]);
    expect(reads).toBe(0);
    expect(await storeLink(counting, { ...item, crm: NEW })).toBe('unchanged');
    expect(reads).toBe(1);
  });
});
