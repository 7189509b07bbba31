import { describe, expect, it } from 'vitest';
import { contactFromCrm } from '../../../src/execute/contact-restore.js';

describe('contactFromCrm', () => {
  it('maps the CRM columns to a Graph contact', () => {
    expect(
      contactFromCrm({
        firstname: 'Ada',
        lastname: 'Lovelace',
        fullname: 'Ada Lovelace',
        emailaddress1: 'ada@example.org',
        telephone1: '+44 20 0000',
        mobilephone: '+44 7700 0000',
        jobtitle: 'Analyst',
      }),
    ).toEqual({
      givenName: 'Ada',
      surname: 'Lovelace',
      displayName: 'Ada Lovelace',
      jobTitle: 'Analyst',
      mobilePhone: '+44 7700 0000',
      emailAddresses: [{ address: 'ada@example.org', name: 'Ada Lovelace' }],
      businessPhones: ['+44 20 0000'],
    });
  });

  it('leaves out what CRM does not have, composing the display name', () => {
    expect(contactFromCrm({ firstname: 'Ada', lastname: 'Lovelace', emailaddress1: '' })).toMatchObject({
      displayName: 'Ada Lovelace',
      emailAddresses: [],
      businessPhones: [],
      mobilePhone: null,
    });
  });
});
