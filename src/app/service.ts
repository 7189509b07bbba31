/**
 * The composition root: configuration → credential → Graph and Dataverse clients → executor → the
 * runtime both hosts serve (src/server for `npm start`, functions/ for Azure Functions). Nothing else
 * builds clients, so the hosts cannot differ in how they delete.
 *
 * Without DATAVERSE_URL there is nothing to execute against: decisions are recorded and nothing is
 * deleted (said once at start-up, loudly).
 */
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config.js';
import type { CrmRef } from '../domain/event.js';
import { DataverseClient } from '../dataverse/client.js';
import { readSnapshot } from '../dataverse/snapshot-reader.js';
import { createExecutor, type Executor } from '../execute/executor.js';
import { createCredential, credentialConfigFromEnv } from '../graph/auth.js';
import { createGraphClient } from '../graph/client.js';
import { resolveUser } from '../graph/synced-users.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { createLogger } from '../log.js';
import { readCaFile, trustExtraCa } from '../net/ca.js';
import { systemClock, type Clock } from '../net/retry.js';
import { createStore } from '../store/index.js';
import { createSyncServices, type SyncServices } from './sync.js';
import { createExecuteSeam, executorDeps } from './execute-seam.js';

export interface ServiceOverrides extends Omit<RuntimeOptions, 'seams'> {
  /** Where the credential settings (AZURE_*) are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** A ready credential (tests); otherwise built from `env`. */
  credential?: TokenCredential;
  clock?: Clock;
}

export interface Service {
  runtime: Runtime;
  /** Present when DATAVERSE_URL is set. */
  clients: { graph: Client; dataverse: DataverseClient; credential: TokenCredential } | null;
  executor: Executor | null;
  /** Subscriptions, To Do polling, link learning and backfill; present when DATAVERSE_URL is set. */
  sync: SyncServices | null;
}

export function createService(config: Config, overrides: ServiceOverrides = {}): Service {
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const store = overrides.store ?? createStore(config);
  const options = { ...overrides, log, store };
  if (config.dataverseUrl === undefined) {
    log.warn('DATAVERSE_URL is not set: decisions are recorded, nothing is deleted');
    return { runtime: createRuntime(config, options), clients: null, executor: null, sync: null };
  }

  const ca = config.extraCaFile === undefined ? undefined : readCaFile(config.extraCaFile, 'EXTRA_CA_FILE');
  // Graph SDK and Dataverse client go through the global fetch; the credential is given the CA itself.
  if (ca !== undefined) trustExtraCa(ca);
  const credential = overrides.credential ?? createCredential(credentialConfigFromEnv(overrides.env ?? process.env, ca));
  const graph = createGraphClient({ credential, baseUrl: config.graph.baseUrl });
  const clock = overrides.clock ?? systemClock;
  const dataverse = new DataverseClient({ url: config.dataverseUrl, credential, clock });
  const executor = createExecutor(executorDeps({ config, store, graph, dataverse, clock }));
  const sync = createSyncServices({ config, store, log, now: overrides.now ?? (() => new Date()), graph, dataverse });
  // Without PUBLIC_BASE_URL nothing can be subscribed: lifecycle notices stay parked for a configured run.
  const lifecycle = config.sync.publicBaseUrl === undefined ? {} : { handleLifecycle: sync.seams.handleLifecycle };
  const seams = {
    execute: createExecuteSeam(executor),
    learnLinks: sync.seams.learnLinks,
    occurrenceDeletes: sync.seams.occurrenceDeletes,
    readSnapshot: (ref: CrmRef) => readSnapshot(dataverse, ref),
    resolveMailbox: async (upn: string) => (await resolveUser(graph, upn))?.id ?? null,
    ...lifecycle,
  };
  const runtime = createRuntime(config, { ...options, seams });
  return { runtime, clients: { graph, dataverse, credential }, executor, sync };
}
