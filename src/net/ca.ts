/**
 * Trusting an extra certificate authority for everything that goes through Node's global fetch (Graph
 * client, Dataverse client, sandbox credential). Used against the local tenant sandbox, whose
 * certificate is made at start; in Azure nothing calls this and the system roots alone apply.
 */
import tls from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';

/** Replaces the global dispatcher with one that trusts the system roots plus `pem`. */
export function trustExtraCa(pem: string | readonly string[]): void {
  const extra = typeof pem === 'string' ? [pem] : [...pem];
  setGlobalDispatcher(new Agent({ connect: { ca: [...tls.rootCertificates, ...extra] } }));
}
