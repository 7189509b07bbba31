/**
 * The Dataverse conformance checker itself: the sandbox's tables agree with the pinned table reference,
 * and the checker catches what the real service would refuse, on real calls to the sandbox. (Every e2e
 * file runs the same check over all of its traffic: test/helpers/e2e-world.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../sandbox/dataverse/schema.js';
import { startHarness, type Harness } from '../unit/sandbox/dataverse/harness.js';
import { checkSchema, conformanceProblems, PINNED, recordDataverse } from './dataverse.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('Dataverse conformance', () => {
  it('pins each table with its source commit', () => {
    expect(PINNED.source).toContain('MicrosoftDocs/powerapps-docs');
    for (const table of Object.values(PINNED.tables)) expect(table.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('finds every column the sandbox serves in the pinned reference, with a matching type', () => {
    expect(checkSchema(TABLES)).toEqual([]);
  });

  it('flags a sandbox table that invents a column or types one otherwise', () => {
    const mapping = TABLES.find((t) => t.logicalName === 'exchangesyncidmapping')!;
    const wrong = { ...mapping, columns: { ...mapping.columns, objectid: { kind: 'lookup' as const }, userid: { kind: 'guid' as const } } };
    expect(checkSchema([wrong])).toEqual(['exchangesyncidmapping.objectid: sandbox lookup, documented Uniqueidentifier', 'exchangesyncidmapping.userid: not a documented column']);
  });

  it('flags requests for properties the real table does not have, and passes documented ones', async () => {
    const recording = recordDataverse(h.server.state);
    await h.api('GET', 'exchangesyncidmappings?$select=_objectid_value,objecttypecode');
    await h.api('GET', `exchangesyncidmappings?$select=objectid&$filter=_userid_value eq ${h.alice.systemUserId}`);
    await h.api('GET', `exchangesyncidmappings?$select=objectid,objecttypecode,exchangeentryid,_ownerid_value&$filter=objecttypecode eq 4201`);
    await h.api('GET', 'appointments?$select=activityid,globalobjectid,_ownerid_value,statecode&$expand=appointment_activity_parties($select=participationtypemask)');
    await h.api('GET', 'appointments?$select=activityid&$expand=appointment_activity_parties($select=_participationtypemask_value)');
    await h.api('GET', 'contacts?$select=lastname');
    await h.api('GET', 'contacts?$select=_lastname_value');
    await h.api('GET', 'asyncoperations?$select=name');
    recording.stop();
    const report = recording.report();
    expect(report.violations).toEqual([
      "GET /api/data/v9.2/exchangesyncidmappings: exchangesyncidmapping.objectid is Uniqueidentifier, not a lookup: there is no '_objectid_value'",
      "GET /api/data/v9.2/exchangesyncidmappings: exchangesyncidmapping has no column 'userid'",
      "GET /api/data/v9.2/appointments: activityparty.participationtypemask is Picklist, not a lookup: there is no '_participationtypemask_value'",
      "GET /api/data/v9.2/contacts: contact.lastname is String, not a lookup: there is no '_lastname_value'",
    ]);
    expect(report.checked).toBe(7);
    // A table with no pinned extract fails the e2e check as a whole, so no table goes unchecked.
    expect([...report.unpinned]).toEqual(['asyncoperations']);
    expect(conformanceProblems(report)).toContain('asyncoperations: no pinned table reference, so its calls were not checked');
  });
});
