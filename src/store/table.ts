/**
 * A typed view of one Azure table: rows are zod-validated values stored as JSON, addressed by partition and
 * row key. The table is created on first use (and again if it vanished, as with a restarted Azurite).
 * A value too large for one entity (1 MiB; the decision record of a 2,000-attendee meeting) goes to the
 * overflow table in entity-sized parts, written before the row that names them; the parts are keyed by
 * a hash of their content, so a reader never joins parts of two versions.
 */
import { createHash } from 'node:crypto';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { z } from 'zod';
import { DeleteSyncError } from '../errors.js';
import { guard, statusOf, storageUnavailable } from './errors.js';

/** A string property holds 64 KiB (32 K UTF-16 units); larger JSON is spread over json, json1, json2 … */
const CHUNK = 30_000;
const MAX_CHUNKS = 15;
/** Entities one entity-group transaction may hold (all of one partition). */
const TRANSACTION_ROWS = 100;

type Row = Record<string, unknown>;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isTableMissing(error: unknown): boolean {
  return statusOf(error) === 404 && errorCode(error) === 'TableNotFound';
}

/** Creates a table on first use (409: it exists); a failed or forgotten creation is tried again on the next call. */
function lazyTable(client: TableClient): { ensure(): Promise<void>; forget(): void } {
  let ready: Promise<void> | undefined;
  return {
    ensure() {
      ready ??= guard(`creation of table ${client.tableName}`, async () => {
        try {
          await client.createTable();
        } catch (error) {
          if (statusOf(error) !== 409) throw error;
        }
      }).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      return ready;
    },
    forget: () => void (ready = undefined),
  };
}

export class TypedTable<S extends z.ZodType> {
  private readonly created: ReturnType<typeof lazyTable>;
  private readonly overflowParts: OverflowParts | undefined;

  constructor(
    private readonly client: TableClient,
    private readonly schema: S,
    overflow?: TableClient,
  ) {
    this.created = lazyTable(client);
    this.overflowParts = overflow === undefined ? undefined : new OverflowParts(overflow);
  }

  get name(): string {
    return this.client.tableName;
  }

  async get(partitionKey: string, rowKey: string): Promise<z.infer<S> | null> {
    await this.ensure();
    try {
      const row = await this.client.getEntity<Row>(partitionKey, rowKey);
      return await this.decode(row);
    } catch (error) {
      if (error instanceof DeleteSyncError) throw error;
      if (isTableMissing(error)) this.created.forget();
      if (statusOf(error) === 404) return null;
      throw storageUnavailable(`read from ${this.name}`, error);
    }
  }

  async upsert(partitionKey: string, rowKey: string, value: z.infer<S>): Promise<void> {
    const entity = await this.encode(partitionKey, rowKey, value);
    await this.write('write', () => this.client.upsertEntity(entity, 'Replace'));
  }

  /**
   * Upserts many rows with as few calls as Azure Tables allows: one entity-group transaction per 100 rows
   * of a partition (the documented limit), transactions in parallel. A transaction is all or nothing, so
   * each row's result is its transaction's; results keep the input order.
   */
  async upsertMany(rows: { partitionKey: string; rowKey: string; value: z.infer<S> }[]): Promise<PromiseSettledResult<void>[]> {
    const results: PromiseSettledResult<void>[] = new Array(rows.length);
    const chunks: number[][] = [];
    const open = new Map<string, number[]>();
    rows.forEach((row, n) => {
      let chunk = open.get(row.partitionKey);
      if (chunk === undefined || chunk.length >= TRANSACTION_ROWS) {
        chunk = [];
        chunks.push(chunk);
        open.set(row.partitionKey, chunk);
      }
      chunk.push(n);
    });
    await Promise.all(
      chunks.map(async (chunk) => {
        let outcome: PromiseSettledResult<void>;
        try {
          const entities = await Promise.all(chunk.map((n) => this.encode(rows[n]!.partitionKey, rows[n]!.rowKey, rows[n]!.value)));
          const actions = entities.map((entity) => ['upsert', entity, 'Replace'] as const);
          // A transaction of one row is a plain upsert: one call either way, and the simpler request.
          if (actions.length === 1) await this.write('write', () => this.client.upsertEntity(actions[0]![1], 'Replace'));
          else await this.write('transaction', () => this.client.submitTransaction(actions.map((a) => [...a])));
          outcome = { status: 'fulfilled', value: undefined };
        } catch (error) {
          outcome = { status: 'rejected', reason: error };
        }
        for (const n of chunk) results[n] = outcome;
      }),
    );
    return results;
  }

  /** Inserts unless the row exists; answers false for an existing row (the 409 a duplicate gets). */
  async insert(partitionKey: string, rowKey: string, value: z.infer<S>): Promise<boolean> {
    const entity = await this.encode(partitionKey, rowKey, value);
    return this.write('insert', async () => {
      try {
        await this.client.createEntity(entity);
        return true;
      } catch (error) {
        if (statusOf(error) === 409) return false;
        throw error;
      }
    });
  }

  /** Deletes the row; a row (or table) that is not there is already deleted. */
  async delete(partitionKey: string, rowKey: string): Promise<void> {
    await this.ensure();
    try {
      await this.client.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (statusOf(error) !== 404) throw storageUnavailable(`delete from ${this.name}`, error);
    }
  }

  /** Rows of one partition in row-key order, at most `limit`. */
  async listPartition(partitionKey: string, limit = 1000): Promise<z.infer<S>[]> {
    return this.query(odata`PartitionKey eq ${partitionKey}`, limit);
  }

  /**
   * Rows of one partition whose row key lies in (after, before), in row-key order, at most `limit`, with
   * their row keys (a caller pages on by passing the last one as `after`).
   */
  async listRange(partitionKey: string, range: { after?: string; before?: string }, limit: number): Promise<{ rowKey: string; value: z.infer<S> }[]> {
    const parts = [odata`PartitionKey eq ${partitionKey}`];
    if (range.after !== undefined) parts.push(odata`RowKey gt ${range.after}`);
    if (range.before !== undefined) parts.push(odata`RowKey lt ${range.before}`);
    const out: { rowKey: string; value: z.infer<S> }[] = [];
    await this.scan(parts.join(' and '), limit, async (row) => {
      out.push({ rowKey: row.rowKey ?? '', value: await this.decode(row) });
    });
    return out;
  }

  /** Every row, at most `limit`: only for small tables (subscriptions). */
  async listAll(limit = 1000): Promise<z.infer<S>[]> {
    return this.query(undefined, limit);
  }

  private async query(filter: string | undefined, limit: number): Promise<z.infer<S>[]> {
    const out: z.infer<S>[] = [];
    await this.scan(filter, limit, async (row) => {
      out.push(await this.decode(row));
    });
    return out;
  }

  /** Hands at most `limit` rows matching `filter` to `take`, in order; a missing table has none. */
  private async scan(filter: string | undefined, limit: number, take: (row: TableEntityResult<Row>) => Promise<void>): Promise<void> {
    await this.ensure();
    let count = 0;
    try {
      const pages = this.client
        .listEntities<Row>(filter === undefined ? {} : { queryOptions: { filter } })
        .byPage({ maxPageSize: Math.min(limit, 1000) });
      for await (const page of pages) {
        for (const row of page) {
          await take(row);
          if (++count >= limit) return;
        }
      }
    } catch (error) {
      if (error instanceof DeleteSyncError) throw error;
      if (isTableMissing(error)) {
        this.created.forget();
        return;
      }
      throw storageUnavailable(`query of ${this.name}`, error);
    }
  }

  private async write<T>(operation: string, call: () => Promise<T>): Promise<T> {
    await this.ensure();
    try {
      return await call();
    } catch (error) {
      if (!isTableMissing(error)) throw storageUnavailable(`${operation} to ${this.name}`, error);
      this.created.forget();
      await this.ensure();
      return guard(`${operation} to ${this.name}`, call);
    }
  }

  private ensure(): Promise<void> {
    return this.created.ensure();
  }

  private async encode(partitionKey: string, rowKey: string, value: z.infer<S>): Promise<Row & { partitionKey: string; rowKey: string }> {
    const json = JSON.stringify(this.schema.parse(value));
    const entity: Row & { partitionKey: string; rowKey: string } = { partitionKey, rowKey };
    if (json.length > CHUNK * MAX_CHUNKS) {
      if (this.overflowParts === undefined) {
        throw new DeleteSyncError('DS_ERR_INTERNAL', `Row for ${this.name} is too large (${json.length} characters)`);
      }
      const key = createHash('sha256').update(json).digest('hex');
      const size = CHUNK * MAX_CHUNKS;
      const parts = Array.from({ length: Math.ceil(json.length / size) }, (_, i) => json.slice(i * size, (i + 1) * size));
      await this.overflowParts.write(key, parts);
      entity.overflow = key;
      entity.parts = parts.length;
      return entity;
    }
    return Object.assign(entity, chunked(json));
  }

  private async decode(row: TableEntityResult<Row>): Promise<z.infer<S>> {
    let json = '';
    if (typeof row.overflow === 'string' && typeof row.parts === 'number' && this.overflowParts !== undefined) {
      json = (await this.overflowParts.read(row.overflow, row.parts)) ?? '';
    } else {
      json = unchunked(row);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      parsed = undefined;
    }
    const result = this.schema.safeParse(parsed);
    if (!result.success) {
      throw new DeleteSyncError(
        'DS_ERR_INTERNAL',
        `Stored row ${row.partitionKey}/${row.rowKey} in ${this.name} does not match its schema`,
      );
    }
    return result.data;
  }
}

/** JSON spread over the string properties json, json1 … of one entity. */
function chunked(json: string): Row {
  const row: Row = {};
  const chunks = Math.ceil(json.length / CHUNK) || 1;
  for (let i = 0; i < chunks; i++) row[i === 0 ? 'json' : `json${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
  return row;
}

function unchunked(row: Row): string {
  let json = '';
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const part = row[i === 0 ? 'json' : `json${i}`];
    if (typeof part !== 'string') break;
    json += part;
  }
  return json;
}

/** The overflow table: one entity per part of a large value, partition = the value's hash, row = part number. */
class OverflowParts {
  private readonly created: ReturnType<typeof lazyTable>;

  constructor(private readonly client: TableClient) {
    this.created = lazyTable(client);
  }

  async write(key: string, parts: string[]): Promise<void> {
    await this.created.ensure();
    await Promise.all(
      parts.map((part, i) =>
        guard(`write to ${this.client.tableName}`, () => this.client.upsertEntity({ partitionKey: key, rowKey: String(i), ...chunked(part) }, 'Replace')),
      ),
    );
  }

  /** The joined parts, or null when one is missing. */
  async read(key: string, count: number): Promise<string | null> {
    await this.created.ensure();
    const parts = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        try {
          return unchunked(await this.client.getEntity<Row>(key, String(i)));
        } catch (error) {
          if (statusOf(error) === 404) return null;
          throw storageUnavailable(`read from ${this.client.tableName}`, error);
        }
      }),
    );
    return parts.every((p) => p !== null) ? parts.join('') : null;
  }
}
