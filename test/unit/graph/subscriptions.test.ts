import { describe, expect, it } from 'vitest';
import { renewAt } from '../../../src/graph/subscriptions.js';
import type { GraphSubscription } from '../../../src/store/subscriptions.js';

const sub = (updatedAt: string, expirationDateTime: string): GraphSubscription => ({
  id: 's1',
  resource: 'users/u1/events',
  changeType: 'created,updated,deleted',
  clientState: 'secret',
  tenantId: null,
  userId: 'u1',
  itemKind: 'event',
  expirationDateTime,
  notificationUrl: 'https://svc.example/api/graph/notifications',
  lifecycleNotificationUrl: 'https://svc.example/api/graph/lifecycle',
  createdAt: updatedAt,
  updatedAt,
});

describe('renewAt', () => {
  it('is half of the lifetime granted at the last create or renewal', () => {
    expect(renewAt(sub('2031-05-01T00:00:00.000Z', '2031-05-08T00:00:00.000Z')).toISOString()).toBe('2031-05-04T12:00:00.000Z');
    // Graph's seven fractional digits parse as well; the 4,230-minute fallback renews after 35.25 hours.
    expect(renewAt(sub('2031-05-01T00:00:00.000Z', '2031-05-03T22:30:00.0000000Z')).toISOString()).toBe('2031-05-02T11:15:00.000Z');
  });
});
