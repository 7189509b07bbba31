/** One row of the deletion table and direction (the rows are in table.ts and recurrence-rules.ts). */
import type { Action } from './types.js';

export interface Rule {
  id: string;
  /** Where the delete happened. */
  deletedIn: 'crm' | 'outlook' | 'either';
  /** The table's "Record" column (and, for Outlook deletes, who deleted). */
  record: string;
  action: Action;
  reason: string;
}
