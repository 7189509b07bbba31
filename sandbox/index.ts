/**
 * A local Microsoft 365 + Dataverse tenant for tests, the demo and benchmarks: sign-in, Graph and the
 * Dataverse Web API over HTTPS on loopback, with one app registration, a directory of people, shared
 * faults and one delete log. It holds none of the service's logic.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createCertificate } from './tls.js';
import { Directory } from './directory.js';
import { TokenIssuer, type ClientRegistration } from './tokens.js';
import { allGraphRoles } from './graph/permissions.js';
import { Faults } from './faults.js';
import { DeleteLog } from './delete-log.js';
import type { SandboxContext } from './context.js';
import { startLoginService } from './login.js';
import { graphAudience, startGraphServer } from './graph/server.js';
import type { GraphOptions, TenantGraph } from './graph/tenant-graph.js';
import { startDataverseServer, type DataverseServerOptions } from './dataverse/server.js';
import type { DataverseState } from './dataverse/state.js';

export type { SandboxContext } from './context.js';
export type { TenantGraph, GraphOptions, LifecycleEvent } from './graph/tenant-graph.js';
export type { FaultSettings, InjectedFault, FaultSide } from './faults.js';
export type { DeleteRecord } from './delete-log.js';
export type { EventInput, ContactInput, MessageInput, TaskInput, LinkedResourceInput } from './graph/schemas.js';
export type { BatchFault, GraphExchange } from './graph/tenant-graph.js';
export type { ClientRegistration } from './tokens.js';
export type { ItemKind } from './graph/store.js';
export { Directory, type DirectoryUser } from './directory.js';
export { Faults } from './faults.js';
export { DeleteLog } from './delete-log.js';

export interface TenantSandboxOptions {
  tenantId?: string;
  /** Sandbox time (subscription expiry, throttling windows, timestamps). Default: Date.now. */
  clock?: () => number;
  /** Seed for injected random faults. */
  faultSeed?: number;
  graph?: GraphOptions;
  dataverse?: DataverseServerOptions;
}

export interface TenantSandbox {
  /** Graph origin; the API is at `${graphUrl}/v1.0`. Token scope: `https://graph.microsoft.com/.default`. */
  graphUrl: string;
  /** Dataverse org URL; the API is at `${dataverseUrl}/api/data/v9.2`. Token scope: `${dataverseUrl}/.default`. */
  dataverseUrl: string;
  /** Authority host: token endpoint `${loginUrl}/${tenantId}/oauth2/v2.0/token`. */
  loginUrl: string;
  tenantId: string;
  /** PEM of the self-signed certificate all three endpoints use; clients trust it as a CA. */
  ca: string;
  client: ClientRegistration;
  /**
   * Another app registration in the tenant with exactly these Graph application roles (for permission
   * tests). Its service principal is an application user in Dataverse like the main one.
   */
  registerClient(graphRoles: string[]): ClientRegistration;
  directory: Directory;
  graph: TenantGraph;
  dataverse: DataverseState;
  faults: Faults;
  deleteLog: DeleteLog;
  clock: () => number;
  close(): Promise<void>;
}

export async function startTenantSandbox(options: TenantSandboxOptions = {}): Promise<TenantSandbox> {
  const clock = options.clock ?? Date.now;
  const tenantId = options.tenantId ?? randomUUID();
  const cert = await createCertificate();
  const directory = new Directory();
  const tokens = new TokenIssuer(tenantId, clock);
  const registerClient = (graphRoles: string[], displayName = 'CRM Outlook Delete Sync'): ClientRegistration => {
    const app = directory.add({ displayName, isApplicationUser: true, canActOnBehalf: true, canDelete: true });
    const registration: ClientRegistration = { clientId: randomUUID(), clientSecret: randomBytes(30).toString('base64url'), servicePrincipalId: app.id, graphRoles: [...graphRoles] };
    tokens.register(registration);
    return registration;
  };
  const client = registerClient(options.graph?.graphRoles ?? allGraphRoles);
  const ctx: SandboxContext = { cert, directory, tokens, faults: new Faults(clock, options.faultSeed), clock, log: new DeleteLog() };

  const graph = await startGraphServer(ctx, options.graph);
  const dataverse = await startDataverseServer(ctx, options.dataverse);
  const login = await startLoginService({ cert, tokens, clock, audiences: () => [graphAudience, dataverse.url] });

  return {
    graphUrl: graph.url,
    dataverseUrl: dataverse.url,
    loginUrl: login.url,
    tenantId,
    ca: cert.cert,
    client,
    registerClient: (graphRoles) => registerClient(graphRoles, `Permission test app ${randomUUID().slice(0, 8)}`),
    directory,
    graph: graph.graph,
    dataverse: dataverse.state,
    faults: ctx.faults,
    deleteLog: ctx.log,
    clock,
    close: async () => {
      await Promise.allSettled([graph.close(), dataverse.close(), login.close()]);
    },
  };
}
