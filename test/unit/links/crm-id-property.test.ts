import { describe, expect, it } from 'vitest';
import { CRM_ID_EXPAND, CRM_ID_PROPERTY_ID, crmRefFromStamp } from '../../../src/links/crm-id-property.js';

const GUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

describe('the CRM-id stamp', () => {
  it('names the record of the item kind’s table, in any GUID spelling', () => {
    expect(crmRefFromStamp('event', [{ id: CRM_ID_PROPERTY_ID, value: GUID }])).toEqual({ entity: 'appointment', id: GUID });
    expect(crmRefFromStamp('message', [{ id: CRM_ID_PROPERTY_ID.toLowerCase(), value: `{${GUID.toUpperCase()}}` }])).toEqual({ entity: 'email', id: GUID });
    expect(crmRefFromStamp('contact', [{ id: CRM_ID_PROPERTY_ID, value: ` ${GUID} ` }])).toEqual({ entity: 'contact', id: GUID });
    expect(crmRefFromStamp('todoTask', [{ id: CRM_ID_PROPERTY_ID, value: GUID }])).toEqual({ entity: 'task', id: GUID });
  });

  it('ignores other properties, missing stamps and values that are not GUIDs', () => {
    expect(crmRefFromStamp('event', undefined)).toBeNull();
    expect(crmRefFromStamp('event', [])).toBeNull();
    expect(crmRefFromStamp('event', [{ id: 'String {00020329-0000-0000-C000-000000000046} Name crmid', value: GUID }])).toBeNull();
    expect(crmRefFromStamp('event', [{ id: CRM_ID_PROPERTY_ID, value: 'appointment:42' }])).toBeNull();
  });

  it('expands only the stamp', () => {
    expect(CRM_ID_EXPAND).toBe(`singleValueExtendedProperties($filter=id eq '${CRM_ID_PROPERTY_ID}')`);
  });
});
