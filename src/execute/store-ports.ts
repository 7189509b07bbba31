/**
 * The executor's link and follow-up ports over the store. Follow-ups (contact comeback) live in the
 * state table, one namespace per CRM record and one row per owner, so a change of the record finds all
 * owners waiting for it with one partition read.
 */
import type { CrmRef } from '../domain/event.js';
import { FollowUp } from '../policy/types.js';
import type { Store } from '../store/index.js';
import type { FollowUpStore, LinkStore } from './ports.js';

const namespaceOf = (ref: CrmRef) => `comeback/${ref.entity.toLowerCase()}/${ref.id.toLowerCase()}`;

export function storeFollowUps(store: Pick<Store, 'state'>): FollowUpStore {
  return {
    remember: (f) => store.state.set(namespaceOf(f.crmRef), f.userId.toLowerCase(), JSON.stringify(f)),
    list: async (ref) => (await store.state.list(namespaceOf(ref))).map((entry) => FollowUp.parse(JSON.parse(entry.value))),
    forget: (f) => store.state.remove(namespaceOf(f.crmRef), f.userId.toLowerCase()),
  };
}

export function storeLinks(store: Pick<Store, 'links'>): LinkStore {
  return { put: (link) => store.links.put(link), remove: (link) => store.links.remove(link) };
}
