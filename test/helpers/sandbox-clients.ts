/**
 * The tenant sandbox and the service's clients for one test file, in the style of useWorld: started
 * before the file's tests with the given directory users, injected faults cleared after each test,
 * closed after the file.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DirectoryUser } from '../../sandbox/index.js';
import { startSandboxClients, type SandboxClients } from '../unit/graph/sandbox-clients.js';

export interface SandboxWithUsers<Name extends string> extends SandboxClients {
  users: Record<Name, DirectoryUser>;
}

/** `users` maps a name to the user's display name; users who may delete in CRM are listed in `canDelete`. */
export function useSandboxClients<Name extends string>(users: Record<Name, string>, canDelete: readonly NoInfer<Name>[] = []): () => SandboxWithUsers<Name> {
  let started: SandboxWithUsers<Name> | undefined;
  beforeAll(async () => {
    const clients = await startSandboxClients();
    const entries = Object.entries<string>(users).map(([name, displayName]) => [name, clients.sandbox.directory.add({ displayName, canDelete: canDelete.includes(name as Name) })]);
    started = { ...clients, users: Object.fromEntries(entries) as Record<Name, DirectoryUser> };
  });
  afterEach(() => started?.sandbox.faults.reset());
  afterAll(async () => {
    await started?.sandbox.close();
  });
  return () => {
    if (started === undefined) throw new Error('the sandbox is not started yet');
    return started;
  };
}
