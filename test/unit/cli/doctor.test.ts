/**
 * `delete-sync doctor`, spawned against a running deployment on the tenant sandbox (the demo's world:
 * webhook registered, subscriptions made, the service answering on loopback): every check passes with
 * exactly the roles and privileges the docs list, and each missing piece fails its own line with a fix
 * and a non-zero exit.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REQUIRED_GRAPH_ROLES, tokenRoles, type CheckResult } from '../../../src/cli/doctor-checks.js';
import { useWorld } from '../../helpers/e2e-world.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO, 'bin/delete-sync.mjs');
const world = useWorld();

function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const w = world();
  const caFile = join(mkdtempSync(join(tmpdir(), 'delete-sync-doctor-')), 'ca.pem');
  writeFileSync(caFile, w.sb.ca);
  const storage = w.service.config.storage;
  if (storage.kind !== 'connectionString') throw new Error('the world uses a connection string');
  return {
    PATH: process.env.PATH,
    STORAGE_CONNECTION_STRING: storage.connectionString,
    DATAVERSE_URL: w.sb.dataverseUrl,
    GRAPH_BASE_URL: w.sb.graphUrl,
    GRAPH_TENANT_ID: w.sb.tenantId,
    EXTRA_CA_FILE: caFile,
    SYNC_USERS: Object.values(w.users).map((u) => u.id).join(','),
    PUBLIC_BASE_URL: w.service.url,
    AZURE_TENANT_ID: w.sb.tenantId,
    AZURE_CLIENT_ID: w.sb.client.clientId,
    AZURE_CLIENT_SECRET: w.sb.client.clientSecret,
    AZURE_AUTHORITY_HOST: w.sb.loginUrl,
    ...extra,
  };
}

async function doctor(env: NodeJS.ProcessEnv = environment()): Promise<{ code: number; checks: CheckResult[]; stderr: string }> {
  const run = promisify(execFile)(process.execPath, [BIN, 'doctor', '--json'], { cwd: REPO, env, encoding: 'utf8' });
  const { code, stdout, stderr } = await run.then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code, checks: JSON.parse(stdout || '[]') as CheckResult[], stderr };
}

/** The Graph roles the app holds: exactly the documented list unless a test takes one away. */
function grant(roles: string[]): void {
  Object.assign(world().sb.client, { graphRoles: roles });
}
const required = REQUIRED_GRAPH_ROLES.map((r) => r.role);
const app = () => world().sb.directory.all().find((u) => u.isApplicationUser)!;
const failing = (checks: CheckResult[]) => checks.filter((c) => !c.ok).map((c) => c.check);

afterEach(() => {
  grant(required);
  world().sb.dataverse.security.set(app().systemUserId, 'prvDeleteActivity', { depth: 'Global', via: 'role' });
  world().sb.dataverse.security.set(app().systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'role' });
});

describe('delete-sync doctor (spawned, against a deployment on the sandbox)', () => {
  it('passes every check of a complete deployment and exits 0', async () => {
    grant(required);
    const result = await doctor();
    expect(failing(result.checks)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining([
        'sign-in graph',
        'sign-in dataverse',
        'graph role Calendars.Read',
        'dataverse application user',
        'dataverse privilege prvDeleteActivity',
        'dataverse privilege prvActOnBehalfOfAnotherUser',
        'dataverse impersonation',
        'dataverse webhook registration',
        'graph subscriptions',
        'public notification url',
        'public lifecycle url',
      ]),
    );
  });

  it('fails the lines of what is missing, each with a fix, and exits non-zero', async () => {
    grant(required.filter((r) => r !== 'Mail.Read'));
    world().sb.dataverse.security.set(app().systemUserId, 'prvDeleteActivity', { depth: 'Basic', via: 'role' });
    world().sb.dataverse.security.set(app().systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'team' });
    const result = await doctor(environment({ PUBLIC_BASE_URL: 'http://127.0.0.1:9' }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^delete-sync: DS_ERR_CONFIG: \d+ of \d+ doctor checks failed/);
    expect(failing(result.checks).sort()).toEqual(
      ['graph role Mail.Read', 'dataverse privilege prvDeleteActivity', 'dataverse impersonation', 'dataverse webhook registration', 'public notification url', 'public lifecycle url'].sort(),
    );
    for (const c of result.checks.filter((x) => !x.ok)) expect(c.fix).toEqual(expect.any(String));
    // Listed by RetrieveUserPrivileges through the team, yet impersonation is refused: the probe tells.
    expect(result.checks.find((c) => c.check === 'dataverse privilege prvActOnBehalfOfAnotherUser')?.ok).toBe(true);
    expect(result.checks.find((c) => c.check === 'dataverse privilege prvDeleteActivity')?.detail).toContain('Basic');
  });
});

describe('tokenRoles', () => {
  it('reads the roles claim of a JWT, none when the claim is absent, null for a token that is no JWT', () => {
    const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    expect(tokenRoles(jwt({ roles: ['Calendars.Read', 'Mail.Read'] }))).toEqual(['Calendars.Read', 'Mail.Read']);
    expect(tokenRoles(jwt({ aud: 'x' }))).toEqual([]);
    expect(tokenRoles('opaque')).toBeNull();
  });
});
