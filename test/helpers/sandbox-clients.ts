/**
 * The tenant sandbox and the service's clients for one test file, in the style of useWorld: started
 * before the file's tests with the given directory users, injected faults cleared after each test,
 * closed after the file.
 */
import { afterEach } from 'vitest';
import type { DirectoryUser } from '../../sandbox/index.js';
import { startSandboxClients, type SandboxClients } from '../unit/graph/sandbox-clients.js';
import { usePerFile } from './per-file.js';

export interface SandboxWithUsers<Name extends string> extends SandboxClients {
  users: Record<Name, DirectoryUser>;
}

/** `users` maps a name to the user's display name; users who may delete in CRM are listed in `canDelete`. */
export function useSandboxClients<Name extends string>(users: Record<Name, string>, canDelete: readonly NoInfer<Name>[] = []): () => SandboxWithUsers<Name> {
  const started = usePerFile(
    'the sandbox',
    async (): Promise<SandboxWithUsers<Name>> => {
      const clients = await startSandboxClients();
      const entries = Object.entries<string>(users).map(([name, displayName]) => [name, clients.sandbox.directory.add({ displayName, canDelete: canDelete.includes(name as Name) })]);
      return { ...clients, users: Object.fromEntries(entries) as Record<Name, DirectoryUser> };
    },
    (clients) => clients.sandbox.close(),
  );
  afterEach(() => started().sandbox.faults.reset());
  return started;
}
