/**
 * The Outlook contact a CRM contact comes back as, when its owner had deleted it in Outlook and the CRM
 * contact changed again (the table's "comes back to the owner's Outlook the next time it is modified").
 */
import type { ContactInput } from '../graph/items.js';

function text(row: Record<string, unknown>, column: string): string | null {
  const value = row[column];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export function contactFromCrm(row: Record<string, unknown>): ContactInput {
  const email = text(row, 'emailaddress1');
  const phone = text(row, 'telephone1');
  const displayName = text(row, 'fullname') ?? ([text(row, 'firstname'), text(row, 'lastname')].filter(Boolean).join(' ') || null);
  return {
    givenName: text(row, 'firstname'),
    surname: text(row, 'lastname'),
    displayName,
    jobTitle: text(row, 'jobtitle'),
    mobilePhone: text(row, 'mobilephone'),
    emailAddresses: email ? [{ address: email, ...(displayName ? { name: displayName } : {}) }] : [],
    businessPhones: phone ? [phone] : [],
  };
}
