/**
 * CRM logical name → Web API entity set name. Entity set names are not derivable by rule (irregular
 * plurals, custom tables), so only the tables this service touches are listed; others must be given
 * explicitly rather than guessed.
 */
import { DeleteSyncError } from '../errors.js';

export const ENTITY_SETS: Readonly<Record<string, string>> = {
  appointment: 'appointments',
  recurringappointmentmaster: 'recurringappointmentmasters',
  task: 'tasks',
  email: 'emails',
  contact: 'contacts',
  systemuser: 'systemusers',
  serviceendpoint: 'serviceendpoints',
  sdkmessageprocessingstep: 'sdkmessageprocessingsteps',
  sdkmessageprocessingstepimage: 'sdkmessageprocessingstepimages',
  sdkmessage: 'sdkmessages',
  sdkmessagefilter: 'sdkmessagefilters',
  exchangesyncidmapping: 'exchangesyncidmappings',
};

export function entitySetOf(logicalName: string, extra: Readonly<Record<string, string>> = {}): string {
  const set = extra[logicalName] ?? ENTITY_SETS[logicalName];
  if (!set) throw new DeleteSyncError('DS_ERR_CONFIG', `No entity set is known for table '${logicalName}'`, { field: 'entity' });
  return set;
}
