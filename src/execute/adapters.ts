/**
 * The executor's Outlook, CRM and mailbox ports over the real clients.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { fanOut, graphBatchTransport, type FanOutOptions } from '../graph/batch.js';
import { createContact, findEventsByICalUId } from '../graph/items.js';
import { getSeriesEvent, listInstances, patchRecurrence } from '../graph/recurrence.js';
import type { DataverseClient } from '../dataverse/client.js';
import type { CrmOps, OutlookOps } from './ports.js';

export function graphOutlookOps(client: Client, fanOutOptions: Omit<FanOutOptions, 'deadline'> = {}): OutlookOps {
  const transport = graphBatchTransport(client, fanOutOptions.clock);
  // One count per mailbox for the process: queue messages run side by side, Outlook allows 4 per mailbox in all.
  const inFlight = new Map<string, number>();
  return {
    fanOut: (ops, deadline) => fanOut(transport, ops, { ...fanOutOptions, deadline, inFlight }),
    findEventsByICalUId: (userId, iCalUId) => findEventsByICalUId(client, userId, iCalUId),
    createContact: (userId, contact) => createContact(client, userId, contact),
    getSeriesEvent: (userId, eventId) => getSeriesEvent(client, userId, eventId),
    listInstances: (userId, masterId, from, to) => listInstances(client, userId, masterId, from, to),
    patchRecurrence: (userId, masterId, recurrence) => patchRecurrence(client, userId, masterId, recurrence),
  };
}

export function dataverseCrmOps(client: DataverseClient): CrmOps {
  return {
    deleteAs: (ref, callerObjectId, deadline) => client.deleteAs(ref, callerObjectId, { deadline }),
    // No $select: the contact's optional columns (phones, job title) differ between environments.
    getContact: (id) => client.get('contacts', id),
  };
}
