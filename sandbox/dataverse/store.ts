/**
 * In-memory rows, one map per table. Values are kept typed by their column (dates as epoch ms, lookups
 * as references, choices as numbers); the Web API and plug-in context shapes are made from them.
 * Activity parties live in their own table, keyed to the activity, as in Dataverse.
 */
export interface EntityRef {
  logicalName: string;
  id: string;
}

export type Cell = string | number | boolean | EntityRef | null;
export type Row = Record<string, Cell>;

export function isRef(value: unknown): value is EntityRef {
  return typeof value === 'object' && value !== null && 'logicalName' in value && 'id' in value;
}

/** A record and its parties as they were, to put back when a synchronous step fails. */
export interface RecordSnapshot {
  logicalName: string;
  id: string;
  row: Row | undefined;
  parties: Row[];
}

export class Store {
  private readonly tables = new Map<string, Map<string, Row>>();

  private table(logicalName: string): Map<string, Row> {
    let table = this.tables.get(logicalName);
    if (!table) {
      table = new Map();
      this.tables.set(logicalName, table);
    }
    return table;
  }

  get(logicalName: string, id: string): Row | undefined {
    return this.table(logicalName).get(id.toLowerCase());
  }

  put(logicalName: string, id: string, row: Row): void {
    this.table(logicalName).set(id.toLowerCase(), row);
  }

  remove(logicalName: string, id: string): boolean {
    return this.table(logicalName).delete(id.toLowerCase());
  }

  rows(logicalName: string): Row[] {
    return [...this.table(logicalName).values()];
  }

  parties(activityId: string): Row[] {
    const key = activityId.toLowerCase();
    return this.rows('activityparty').filter((p) => isRef(p.activityid) && p.activityid.id === key);
  }

  replaceParties(activityId: string, parties: Row[]): void {
    for (const old of this.parties(activityId)) this.remove('activityparty', String(old.activitypartyid));
    for (const party of parties) this.put('activityparty', String(party.activitypartyid), party);
  }

  snapshot(logicalName: string, id: string): RecordSnapshot {
    const row = this.get(logicalName, id);
    return { logicalName, id, row: row ? { ...row } : undefined, parties: this.parties(id).map((p) => ({ ...p })) };
  }

  restore(snapshot: RecordSnapshot): void {
    if (snapshot.row) this.put(snapshot.logicalName, snapshot.id, snapshot.row);
    else this.remove(snapshot.logicalName, snapshot.id);
    this.replaceParties(snapshot.id, snapshot.parties);
  }
}
