/** Release or discard held deletes after a confirmation that says how many deletes a release performs. */
import { api, type OperatorResult } from '../api.js';
import { confirmDialog } from './confirm.js';

export async function actOnHeld(action: 'release' | 'discard', eventIds: string[], deletes: number): Promise<OperatorResult[] | null> {
  const what = eventIds.length === 1 ? 'this held delete' : `these ${eventIds.length} held deletes`;
  const confirmed =
    action === 'release'
      ? await confirmDialog(`Release ${what}?`, `This performs ${deletes} delete${deletes === 1 ? '' : 's'} now, through the executor, as the decision says.`, `Release: ${deletes} delete${deletes === 1 ? '' : 's'}`)
      : await confirmDialog(`Discard ${what}?`, `Nothing is deleted (it would have been ${deletes} delete${deletes === 1 ? '' : 's'}); the decision record says it was discarded.`, 'Discard');
  if (!confirmed) return null;
  return (await api.heldAction(action, eventIds, deletes)).results;
}
