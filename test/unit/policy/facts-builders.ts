/** Facts for policy tests, built from the real fixtures through the real normalisers. */
import type { CrmRef, CrmSnapshot } from '../../../src/domain/event.js';
import type { Link } from '../../../src/domain/link.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { normalizeGraphNotification, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { factsFor, type LookedUp } from '../../../src/policy/facts.js';
import type { Facts } from '../../../src/policy/types.js';
import { fixtureText } from '../contracts/fixture-files.js';

export const NOW = new Date('2024-12-01T00:00:00.000Z');
export const APPOINTMENT_ID = '00000000-0000-0000-0000-0000000a0001';
/** The organizer and owner in the reconstructed Delete fixture. */
export const ORGANIZER_CRM_ID = '00000000-0000-0000-0000-0000000000a1';

export function crmFacts(body: unknown, lookedUp: LookedUp = {}, headers: Record<string, string> = {}): Facts {
  return factsFor(normalizeDataverseWebhook(body, headers, NOW), lookedUp);
}

/** The CRM record as the store would hold it: the snapshot a Delete body's pre-image yields. */
export function storedSnapshot(body: unknown): CrmSnapshot {
  const snapshot = normalizeDataverseWebhook(body, {}, NOW).crm?.snapshot;
  if (snapshot === undefined || snapshot === null) throw new Error('body has no snapshot');
  return snapshot;
}

/** An Outlook delete: the reconstructed event-deleted notification, with its item kind swapped by resource. */
export function outlookFacts(resource: string | null, lookedUp: LookedUp): Facts {
  const [notification] = parseNotificationCollection(fixtureText('graph', 'notification-event-deleted.reconstructed.json'));
  if (notification === undefined) throw new Error('fixture has no notification');
  const changed = resource === null ? notification : { ...notification, resource, resourceData: undefined };
  return factsFor(normalizeGraphNotification(changed, NOW), lookedUp);
}

export function link(crm: CrmRef, userId: string, crmUserId: string | null, overrides: Partial<Link> = {}): Link {
  return {
    crm,
    userId,
    crmUserId,
    itemKind: 'event',
    itemId: `item-of-${userId}`,
    role: 'attendee',
    listId: null,
    source: 'test',
    updatedAt: NOW.toISOString(),
    ...overrides,
  };
}
