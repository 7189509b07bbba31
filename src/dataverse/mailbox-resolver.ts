/** CRM users' mailboxes: a systemuser's Entra object id, as the executor and link learning need it. */
import type { DataverseClient } from './client.js';

export interface MailboxResolver {
  /** CRM systemuser id → the mailbox owner's Entra object id; null when the user has none. */
  entraIdOf(crmUserId: string): Promise<string | null>;
}

/** systemuser → Entra object id, remembered for the process's life (the mapping does not change). */
export function dataverseMailboxResolver(client: DataverseClient): MailboxResolver {
  const known = new Map<string, string | null>();
  return {
    async entraIdOf(crmUserId) {
      const key = crmUserId.toLowerCase();
      if (!known.has(key)) known.set(key, (await client.getSystemUser(crmUserId))?.azureactivedirectoryobjectid ?? null);
      return known.get(key) ?? null;
    },
  };
}
