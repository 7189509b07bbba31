/**
 * A typed view of one Azure table: rows are zod-validated values stored as JSON, addressed by partition and
 * row key. The table is created on first use (and again if it vanished, as with a restarted Azurite).
 */
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { z } from 'zod';
import { DeleteSyncError } from '../errors.js';
import { guard, statusOf, storageUnavailable } from './errors.js';

/** A string property holds 64 KiB (32 K UTF-16 units); larger JSON is spread over json, json1, json2 … */
const CHUNK = 30_000;
const MAX_CHUNKS = 15;

type Row = Record<string, unknown>;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isTableMissing(error: unknown): boolean {
  return statusOf(error) === 404 && errorCode(error) === 'TableNotFound';
}

export class TypedTable<S extends z.ZodType> {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly client: TableClient,
    private readonly schema: S,
  ) {}

  get name(): string {
    return this.client.tableName;
  }

  async get(partitionKey: string, rowKey: string): Promise<z.infer<S> | null> {
    await this.ensure();
    try {
      const row = await this.client.getEntity<Row>(partitionKey, rowKey);
      return this.decode(row);
    } catch (error) {
      if (isTableMissing(error)) this.ready = undefined;
      if (statusOf(error) === 404) return null;
      throw storageUnavailable(`read from ${this.name}`, error);
    }
  }

  /** The row and its ETag, for a write that must not overwrite a change made since the read. */
  async getVersioned(partitionKey: string, rowKey: string): Promise<{ value: z.infer<S>; etag: string } | null> {
    await this.ensure();
    try {
      const row = await this.client.getEntity<Row>(partitionKey, rowKey);
      return { value: this.decode(row), etag: row.etag };
    } catch (error) {
      if (isTableMissing(error)) this.ready = undefined;
      if (statusOf(error) === 404) return null;
      throw storageUnavailable(`read from ${this.name}`, error);
    }
  }

  /** Replaces the row only if it is still the version read (answers false on 412: someone wrote in between). */
  async replaceIfUnchanged(partitionKey: string, rowKey: string, value: z.infer<S>, etag: string): Promise<boolean> {
    const entity = this.encode(partitionKey, rowKey, value);
    return this.write('write', async () => {
      try {
        await this.client.updateEntity(entity, 'Replace', { etag });
        return true;
      } catch (error) {
        if (statusOf(error) === 412) return false;
        throw error;
      }
    });
  }

  async upsert(partitionKey: string, rowKey: string, value: z.infer<S>): Promise<void> {
    const entity = this.encode(partitionKey, rowKey, value);
    await this.write('write', () => this.client.upsertEntity(entity, 'Replace'));
  }

  /** Inserts unless the row exists; answers false for an existing row (the 409 a duplicate gets). */
  async insert(partitionKey: string, rowKey: string, value: z.infer<S>): Promise<boolean> {
    const entity = this.encode(partitionKey, rowKey, value);
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

  /** Every row, at most `limit`: only for small tables (subscriptions). */
  async listAll(limit = 1000): Promise<z.infer<S>[]> {
    return this.query(undefined, limit);
  }

  private async query(filter: string | undefined, limit: number): Promise<z.infer<S>[]> {
    await this.ensure();
    const out: z.infer<S>[] = [];
    try {
      const pages = this.client
        .listEntities<Row>(filter === undefined ? {} : { queryOptions: { filter } })
        .byPage({ maxPageSize: Math.min(limit, 1000) });
      for await (const page of pages) {
        for (const row of page) {
          out.push(this.decode(row));
          if (out.length >= limit) return out;
        }
      }
      return out;
    } catch (error) {
      if (isTableMissing(error)) {
        this.ready = undefined;
        return [];
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
      this.ready = undefined;
      await this.ensure();
      return guard(`${operation} to ${this.name}`, call);
    }
  }

  private ensure(): Promise<void> {
    this.ready ??= guard(`creation of table ${this.name}`, async () => {
      try {
        await this.client.createTable();
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private encode(partitionKey: string, rowKey: string, value: z.infer<S>): Row & { partitionKey: string; rowKey: string } {
    const json = JSON.stringify(this.schema.parse(value));
    const chunks = Math.ceil(json.length / CHUNK) || 1;
    if (chunks > MAX_CHUNKS) {
      throw new DeleteSyncError('DS_ERR_INTERNAL', `Row for ${this.name} is too large (${json.length} characters)`);
    }
    const entity: Row & { partitionKey: string; rowKey: string } = { partitionKey, rowKey };
    for (let i = 0; i < chunks; i++) entity[i === 0 ? 'json' : `json${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
    return entity;
  }

  private decode(row: TableEntityResult<Row>): z.infer<S> {
    let json = '';
    for (let i = 0; i < MAX_CHUNKS; i++) {
      const part = row[i === 0 ? 'json' : `json${i}`];
      if (typeof part !== 'string') break;
      json += part;
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
