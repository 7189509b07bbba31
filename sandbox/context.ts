/**
 * What the sandbox's servers share: one certificate, one directory of people, one token issuer, one
 * fault switchboard, one clock and one delete log. Each half (Graph, Dataverse) is started with it.
 */
import type { Directory } from './directory.js';
import type { TokenIssuer } from './tokens.js';
import type { SandboxCertificate } from './tls.js';
import type { Faults } from './faults.js';
import type { DeleteLog } from './delete-log.js';

export type { SandboxCertificate } from './tls.js';
export type { Faults } from './faults.js';
export type { DeleteLog, DeleteRecord } from './delete-log.js';

export interface SandboxContext {
  cert: SandboxCertificate;
  directory: Directory;
  tokens: TokenIssuer;
  faults: Faults;
  /** Sandbox time in ms since the epoch: expiry, throttling windows and timestamps read it. */
  clock: () => number;
  log: DeleteLog;
}
