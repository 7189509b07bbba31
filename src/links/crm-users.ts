/**
 * Mailbox owner ↔ CRM user, both ways, remembered for the process's life (the mapping does not change):
 * a link names the CRM systemuser behind its mailbox, and CRM parties name systemusers whose mailboxes
 * hold the copies.
 */
import type { DataverseClient } from '../dataverse/client.js';
import { parseGuid } from '../domain/guid.js';
import { dataverseMailboxResolver } from '../dataverse/mailbox-resolver.js';

export interface CrmUsers {
  /** The systemuserid of the mailbox owner (Entra object id); null when CRM has no such user. */
  systemUserOf(entraId: string): Promise<string | null>;
  /** The Entra object id of a systemuser; null when it has none. */
  entraIdOf(systemUserId: string): Promise<string | null>;
}

export function createCrmUsers(dataverse: DataverseClient): CrmUsers {
  const resolver = dataverseMailboxResolver(dataverse);
  const systemUsers = new Map<string, Promise<string | null>>();
  return {
    systemUserOf(entraId) {
      const key = parseGuid(entraId)?.toLowerCase();
      if (key === undefined) return Promise.resolve(null);
      let found = systemUsers.get(key);
      if (found === undefined) {
        found = dataverse.findSystemUserByAadId(key).then((u) => u?.systemuserid.toLowerCase() ?? null);
        // A failed look-up is not remembered: the next call asks again.
        found.catch(() => systemUsers.delete(key));
        systemUsers.set(key, found);
      }
      return found;
    },
    entraIdOf: (systemUserId) => resolver.entraIdOf(systemUserId.toLowerCase()),
  };
}
