/**
 * Both parsers under generated bad input: each answer is a valid DomainEvent or a coded 4xx error —
 * never an uncaught exception of another kind, never an event the queue contract would refuse.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainEvent } from '../../../src/domain/event.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { normalizeGraphNotification, parseLifecycleCollection, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { isDeleteSyncError } from '../../../src/errors.js';
import { fcParams } from '../../helpers/reliability-runs.js';
import { DELETE_APPOINTMENT, EVENT_DELETED, fixtureText, LIFECYCLE_REAUTHORIZE } from '../../helpers/requests.js';
import { badBodies, notUtf8 } from './inputs.js';

const RECEIVED = new Date('2025-01-01T00:00:00Z');

/** Runs `parse`; answers 'event' or the coded error, and fails the property on anything else. */
function outcomeOf(parse: () => unknown[]): string {
  try {
    for (const event of parse()) DomainEvent.parse(event);
    return 'event';
  } catch (error) {
    if (!isDeleteSyncError(error)) throw new Error(`uncoded ${(error as Error)?.name}: ${(error as Error)?.message}`);
    expect(error.statusCode).toBeGreaterThanOrEqual(400);
    expect(error.statusCode).toBeLessThan(500);
    return error.code;
  }
}

const DATAVERSE_FIXTURES = [
  DELETE_APPOINTMENT,
  'dataverse/update-webhook-customactivity-preimage-activityparty.json',
  'dataverse/create-webhook-allfieldtypes-sync.json',
  'dataverse/update-webhook-contact-async.msdocs.json',
];

describe('Dataverse webhook parser under bad input', () => {
  it.each(DATAVERSE_FIXTURES)('%s mutated, truncated, not UTF-8, random: an event or a coded 4xx', (fixture) => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(badBodies(fixture), fc.boolean(), (body, sizeExceeded) => {
        const headers = sizeExceeded ? { 'x-ms-dynamics-msg-size-exceeded': 'true' } : {};
        seen.add(outcomeOf(() => [normalizeDataverseWebhook(body, headers, RECEIVED)]));
      }),
      fcParams(`dataverse parser ${fixture}`, 300, 20_000),
    );
    // The generator reaches both sides: some inputs still parse, most are refused.
    expect(seen.has('event')).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('Graph parsers under bad input', () => {
  it('change notifications: every item an event or a coded 4xx', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(badBodies(EVENT_DELETED), (body) => {
        seen.add(outcomeOf(() => parseNotificationCollection(body).map((n) => normalizeGraphNotification(n, RECEIVED))));
      }),
      fcParams('graph notification parser', 400, 20_000),
    );
    expect(seen.has('event')).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('lifecycle notifications: parsed or a coded 4xx', () => {
    fc.assert(
      fc.property(badBodies(LIFECYCLE_REAUTHORIZE), (body) => {
        outcomeOf(() => (parseLifecycleCollection(body), []));
      }),
      fcParams('graph lifecycle parser', 200, 10_000),
    );
  });
});

describe('bytes that are not UTF-8', () => {
  it.each([DELETE_APPOINTMENT, EVENT_DELETED])('in %s are refused as DS_ERR_BAD_JSON, never read with replacement characters', (fixture) => {
    const parse = fixture === EVENT_DELETED ? (b: Buffer) => parseNotificationCollection(b) : (b: Buffer) => [normalizeDataverseWebhook(b, {}, RECEIVED)];
    fc.assert(
      fc.property(notUtf8(fixtureText(fixture)), (body) => {
        expect(() => parse(body)).toThrow(expect.objectContaining({ code: 'DS_ERR_BAD_JSON' }));
      }),
      fcParams(`not utf-8 ${fixture}`, 100, 5_000),
    );
  });
});
