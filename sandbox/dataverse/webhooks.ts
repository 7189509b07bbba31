/**
 * Posting a step's RemoteExecutionContext to its webhook service endpoint, as Dataverse does:
 * WebhookKey as `?code=`, HttpHeader / HttpQueryString from the endpoint's `<settings>`; a 60 s
 * timeout; only the status code is read; one retry, on 502/503/504 only. Synchronous steps fail the
 * operation; asynchronous ones run after commit as System Jobs (asyncoperation), failures kept as Failed.
 */
import { randomUUID } from 'node:crypto';
import { DataverseFault, DV_CODE } from './errors.js';
import { fitToLimit } from './remote-context.js';
import type { Row, Store } from './store.js';

export const AUTH_TYPE = { webhookKey: 4, httpHeader: 5, httpQueryString: 6 } as const;
export const WEBHOOK_CONTRACT = 8;
const RETRIABLE = new Set([502, 503, 504]);

export interface DeliveryAttempt {
  at: number;
  status?: number;
  error?: string;
}

export interface DeliveryRecord {
  id: string;
  stepId: string;
  stepName: string | null;
  mode: 0 | 1;
  message: string;
  entity: string;
  recordId: string;
  /** The endpoint URL as registered (its key is not copied here). */
  endpointUrl: string;
  headers: Record<string, string>;
  /** The body as sent, parsed back. */
  body: Record<string, unknown>;
  bytes: number;
  sizeExceeded: boolean;
  attempts: DeliveryAttempt[];
  outcome: 'pending' | 'delivered' | 'failed';
  systemJobId?: string;
}

export interface WebhookSettings {
  timeoutMs: number;
  /** Pause before the single retry. */
  retryDelayMs: number;
  /** How long after commit the async service picks a System Job up (the request is answered first). */
  asyncDelayMs: number;
}

export interface Dispatch {
  step: Row;
  endpoint: Row;
  context: Record<string, unknown>;
  organizationHost: string;
}

/** `<settings><setting name="k" value="v" /></settings>` → pairs. */
export function parseSettings(authvalue: string): [string, string][] {
  return [...authvalue.matchAll(/<setting\s+name="([^"]*)"\s+value="([^"]*)"\s*\/>/g)].map((m) => [m[1] as string, m[2] as string]);
}

function requestTarget(endpoint: Row): { url: string; headers: Record<string, string> } {
  const url = new URL(String(endpoint.url));
  const headers: Record<string, string> = {};
  const authvalue = String(endpoint.authvalue ?? '');
  if (endpoint.authtype === AUTH_TYPE.webhookKey) url.searchParams.set('code', authvalue);
  else if (endpoint.authtype === AUTH_TYPE.httpHeader) for (const [k, v] of parseSettings(authvalue)) headers[k] = v;
  else if (endpoint.authtype === AUTH_TYPE.httpQueryString) for (const [k, v] of parseSettings(authvalue)) url.searchParams.set(k, v);
  return { url: url.toString(), headers };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class WebhookDispatcher {
  readonly deliveries: DeliveryRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    readonly settings: WebhookSettings,
    private readonly clock: () => number,
  ) {}

  /** Runs a synchronous step inside the operation; a failure rolls the operation back (the caller restores). */
  async deliverSync(dispatch: Dispatch): Promise<void> {
    const record = this.record(dispatch, 0);
    await this.attempt(record, dispatch);
    if (record.outcome === 'failed') {
      const last = record.attempts.at(-1);
      throw new DataverseFault(
        400,
        DV_CODE.pluginFailed,
        `Webhook step '${record.stepName ?? record.stepId}' failed: ${last?.status ? `the endpoint answered ${last.status}` : last?.error}. The operation was rolled back.`,
      );
    }
  }

  /** Queues an asynchronous step as a System Job; it runs after the operation committed. */
  enqueueAsync(dispatch: Dispatch): DeliveryRecord {
    const record = this.record(dispatch, 1);
    const jobId = randomUUID();
    record.systemJobId = jobId;
    const now = this.clock();
    this.store.put('asyncoperation', jobId, {
      asyncoperationid: jobId,
      name: record.stepName ?? `${record.message} of ${record.entity}`,
      operationtype: 1,
      statecode: 0,
      statuscode: 0,
      message: null,
      friendlymessage: null,
      errorcode: null,
      retrycount: 0,
      depth: 1,
      correlationid: String(dispatch.context.CorrelationId),
      primaryentitytype: record.entity,
      messagename: record.message,
      owningextensionid: { logicalName: 'sdkmessageprocessingstep', id: record.stepId },
      regardingobjectid: record.message === 'Delete' ? null : { logicalName: record.entity, id: record.recordId },
      completedon: null,
      createdon: now,
      modifiedon: now,
      versionnumber: 1,
    });
    const run = (async () => {
      await sleep(this.settings.asyncDelayMs);
      this.updateJob(jobId, { statecode: 2, statuscode: 20 });
      await this.attempt(record, dispatch);
      this.finishJob(jobId, record, dispatch.step.asyncautodelete === true);
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return record;
  }

  /** Resolves when every queued asynchronous delivery has finished (including retries). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private record(dispatch: Dispatch, mode: 0 | 1): DeliveryRecord {
    const { body, sizeExceeded } = fitToLimit(dispatch.context);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-ms-dynamics-organization': dispatch.organizationHost,
      'x-ms-dynamics-entity-name': String(dispatch.context.PrimaryEntityName),
      'x-ms-dynamics-request-name': String(dispatch.context.MessageName),
      'x-ms-correlation-request-id': String(dispatch.context.CorrelationId),
    };
    if (sizeExceeded) headers['x-ms-dynamics-msg-size-exceeded'] = 'true';
    const record: DeliveryRecord = {
      id: randomUUID(),
      stepId: String(dispatch.step.sdkmessageprocessingstepid),
      stepName: typeof dispatch.step.name === 'string' ? dispatch.step.name : null,
      mode,
      message: String(dispatch.context.MessageName),
      entity: String(dispatch.context.PrimaryEntityName),
      recordId: String(dispatch.context.PrimaryEntityId),
      endpointUrl: String(dispatch.endpoint.url),
      headers,
      body: JSON.parse(body) as Record<string, unknown>,
      bytes: Buffer.byteLength(body),
      sizeExceeded,
      attempts: [],
      outcome: 'pending',
    };
    this.deliveries.push(record);
    return record;
  }

  private async attempt(record: DeliveryRecord, dispatch: Dispatch): Promise<void> {
    const target = requestTarget(dispatch.endpoint);
    const body = JSON.stringify(record.body);
    for (let tries = 0; tries < 2; tries++) {
      if (tries > 0) await sleep(this.settings.retryDelayMs);
      const attempt: DeliveryAttempt = { at: this.clock() };
      record.attempts.push(attempt);
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: { ...record.headers, ...target.headers },
          body,
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
        attempt.status = response.status;
        await response.body?.cancel();
      } catch (error) {
        attempt.error = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : String((error as Error).cause ?? error);
      }
      if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
        record.outcome = 'delivered';
        return;
      }
      if (attempt.status === undefined || !RETRIABLE.has(attempt.status)) break;
    }
    record.outcome = 'failed';
  }

  private updateJob(jobId: string, changes: Row): void {
    const job = this.store.get('asyncoperation', jobId);
    if (!job) return;
    this.store.put('asyncoperation', jobId, { ...job, ...changes, modifiedon: this.clock(), versionnumber: Number(job.versionnumber) + 1 });
  }

  private finishJob(jobId: string, record: DeliveryRecord, autoDelete: boolean): void {
    if (record.outcome === 'delivered') {
      if (autoDelete) this.store.remove('asyncoperation', jobId);
      else this.updateJob(jobId, { statecode: 3, statuscode: 30, completedon: this.clock() });
      return;
    }
    const last = record.attempts.at(-1);
    const why = last?.status !== undefined ? `The remote server returned an error: (${last.status}).` : `The webhook call failed: ${last?.error}.`;
    this.updateJob(jobId, {
      statecode: 3,
      statuscode: 31,
      message: why,
      friendlymessage: why,
      errorcode: -2147220970,
      retrycount: record.attempts.length - 1,
      completedon: this.clock(),
    });
  }
}
