import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeGraphNotification, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { ALLOWED_ATTRIBUTES, safeAttributes } from '../../../src/telemetry/attributes.js';
import { fixtureJson } from '../contracts/fixture-files.js';

describe('safeAttributes', () => {
  it('keeps allow-listed ids, enums and counts as they are', () => {
    const allowed = {
      crmRecordId: '7d1e2b4c-0f7a-4c59-9a55-0c2f3b1a9e10',
      mailboxItemId: 'AAMkAGI2TG93AAA=',
      entity: 'contact',
      action: 'skip',
      errorCode: 'DS_ERR_THROTTLED',
      'outcome.denied': 1,
      dryRun: true,
    };
    expect(safeAttributes(allowed)).toEqual(allowed);
  });

  it("keeps a Graph input's eventId, which ends with the notification's weak ETag W/\"…\"", () => {
    // A created/updated notification's input id carries its ETag (a delete's is one id per item: outlook-deleted:…).
    const [notification] = parseNotificationCollection(fixtureJson('graph', 'notification-message-rich.reconstructed.json'));
    const { id } = normalizeGraphNotification(notification!, new Date('2025-01-01T00:00:00Z'));
    expect(id).toContain('W/"');
    expect(safeAttributes({ eventId: id })).toEqual({ eventId: id });
    // Still not free text or an address.
    expect(safeAttributes({ eventId: `${id} and more` })).toEqual({});
    expect(safeAttributes({ eventId: 'graph:alice@contoso.com' })).toEqual({});
  });

  it('drops unknown names, values of the wrong shape, and nulls', () => {
    expect(
      safeAttributes({
        subject: 'Quarterly review',
        clientState: 's3cr3t',
        entity: 'invoice',
        action: 'delete-everything',
        errorCode: 'NOT_A_CODE',
        targetCount: -1,
        'outcome.vanished': 3,
        mailboxUserId: 'alice@contoso.com',
        crmRecordId: null,
        correlationId: undefined,
        toString: 'x',
      }),
    ).toEqual({});
  });

  it('never lets an address or free text through as any attribute', () => {
    const names = Object.keys(ALLOWED_ATTRIBUTES);
    const leaky = fc.oneof(
      fc.emailAddress(),
      fc.tuple(fc.string(), fc.constantFrom(' ', '\t', '\n', '@'), fc.string()).map(([a, sep, b]) => a + sep + b),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names, 'subject', 'body', 'token'), leaky), (raw) => {
        expect(safeAttributes(raw)).toEqual({});
      }),
    );
  });
});
