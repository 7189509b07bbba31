/**
 * Every delete the sandbox serves, on either side, in order. Tests read it to prove the service deleted
 * only its targets, each once; user actions (someone deleting in Outlook or in CRM) are recorded too,
 * marked `via: 'user'`, so they can be told apart from the service's own deletes.
 */
export interface DeleteRecord {
  /** Sandbox clock time of the delete. */
  at: number;
  side: 'graph' | 'dataverse';
  /** Graph: the mailbox owner's Entra object id. Dataverse: the entity logical name (e.g. `appointment`). */
  scope: string;
  /** Graph: `event` | `contact` | `message` | `todoTask`; Dataverse: the entity logical name. */
  kind: string;
  id: string;
  /** Who asked: `app:<clientId>`, `user:<Entra object id>` (impersonated or acting in a client app). */
  caller: string;
  via: 'api' | 'user';
  /** HTTP status served: 204 deleted, 404 already gone, 403 denied, … */
  status: number;
}

export class DeleteLog {
  private readonly records: DeleteRecord[] = [];

  append(record: DeleteRecord): void {
    this.records.push(record);
  }

  /** All records, or those matching every given field. */
  entries(match: Partial<DeleteRecord> = {}): DeleteRecord[] {
    const keys = Object.keys(match) as (keyof DeleteRecord)[];
    return this.records.filter((r) => keys.every((k) => r[k] === match[k]));
  }

  /** Items actually removed (2xx) more than once — should always be empty. */
  deletedTwice(): DeleteRecord[] {
    const seen = new Set<string>();
    return this.records.filter((r) => {
      if (r.status >= 300) return false;
      const key = `${r.side}|${r.scope}|${r.id}`;
      if (seen.has(key)) return true;
      seen.add(key);
      return false;
    });
  }

  clear(): void {
    this.records.length = 0;
  }
}
