/**
 * What Node's global fetch (Graph client, Dataverse client, sandbox credential) trusts and how long it
 * waits: an extra certificate authority (the local tenant sandbox's, made at start; in Azure nothing calls
 * this and the system roots alone apply) and, for the command line, a limit on every connection, answer
 * and body, so a host that accepts and never answers cannot hang a command.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';
import { DeleteSyncError } from '../errors.js';

export interface FetchSettings {
  /** PEM certificate(s) trusted besides the system roots. */
  ca?: string | readonly string[];
  /** Connect, headers and body timeout for every request; undici's defaults (minutes) when omitted. */
  timeoutMs?: number;
}

/** Replaces the global dispatcher with one that trusts the system roots plus `ca` and waits at most `timeoutMs`. */
export function configureFetch(settings: FetchSettings): void {
  const extra = settings.ca === undefined ? [] : typeof settings.ca === 'string' ? [settings.ca] : [...settings.ca];
  const timeouts = settings.timeoutMs === undefined ? {} : { headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs };
  setGlobalDispatcher(
    new Agent({
      connect: { ...(extra.length > 0 ? { ca: [...tls.rootCertificates, ...extra] } : {}), ...(settings.timeoutMs === undefined ? {} : { timeout: settings.timeoutMs }) },
      ...timeouts,
    }),
  );
}

/** Replaces the global dispatcher with one that trusts the system roots plus `pem`. */
export function trustExtraCa(pem: string | readonly string[]): void {
  configureFetch({ ca: pem });
}

/** Reads a PEM file named by a setting or flag; DS_ERR_CONFIG naming it when it cannot be read. */
export function readCaFile(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeleteSyncError('DS_ERR_CONFIG', `${field} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { field });
  }
}
