/**
 * `delete-sync register`, spawned against the tenant sandbox with the credentials in the environment as
 * an admin would set them: plan, register, rerun, remove; one-line errors with exit 2 (input) or 1 (Dataverse).
 * Idempotent removal and drift are covered in test/unit/dataverse/registration.test.ts; spawns are kept few.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTenantSandbox, type TenantSandbox } from '../../../sandbox/index.js';
import { register } from '../../../src/cli/commands/register.js';
import { createProgram, runCli } from '../../../src/cli/program.js';
import { runCommand } from './run-cli.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO, 'bin/delete-sync.mjs');
const KEY = 'cli-function-key-0123456789abcdef';
const ENDPOINT = 'https://func-delete-sync.example/api/dataverse/webhook';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sandbox: TenantSandbox;
let caFile: string;

beforeAll(async () => {
  sandbox = await startTenantSandbox();
  caFile = join(mkdtempSync(join(tmpdir(), 'delete-sync-register-')), 'ca.pem');
  writeFileSync(caFile, sandbox.ca);
});

afterAll(async () => {
  await sandbox.close();
});

/** Only what the command reads: nothing of the test runner's own environment leaks in. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AZURE_TENANT_ID: sandbox.tenantId,
    AZURE_CLIENT_ID: sandbox.client.clientId,
    AZURE_CLIENT_SECRET: sandbox.client.clientSecret,
    AZURE_AUTHORITY_HOST: sandbox.loginUrl,
    DATAVERSE_URL: sandbox.dataverseUrl,
    DATAVERSE_WEBHOOK_KEY: KEY,
    ...extra,
  };
}

async function cli(args: string[], env: NodeJS.ProcessEnv = environment()): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'register', ...args], { cwd: REPO, env, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function expectNoSecrets(result: Run): void {
  for (const secret of [KEY, sandbox.client.clientSecret]) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
}

function expectOneErrorLine(result: Run, exitCode: 1 | 2, pattern: RegExp): void {
  expect(result.code).toBe(exitCode);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(pattern)]);
  expectNoSecrets(result);
}

const counts = () => ({
  endpoints: sandbox.dataverse.query('serviceendpoint').length,
  steps: sandbox.dataverse.query('sdkmessageprocessingstep').length,
  images: sandbox.dataverse.query('sdkmessageprocessingstepimage').length,
});

describe('delete-sync register (spawned, against the sandbox)', () => {
  it.concurrent('dry run, register, rerun, remove', async () => {
    const dry = await cli(['--endpoint', ENDPOINT, '--dry-run', '--ca-file', caFile]);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('(dry run: nothing is changed)');
    expect(dry.stdout).toMatch(/^ {2}create {5}endpoint {2}CRM-Outlook delete sync$/m);
    expect(dry.stdout).toMatch(/^ {2}create {5}image {5}PreImage on Delete of appointment$/m);
    expect(dry.stdout).toMatch(/^Plan: 26 create\.$/m);
    expect(counts()).toEqual({ endpoints: 0, steps: 0, images: 0 });

    // The CA through Node's own NODE_EXTRA_CA_CERTS this time.
    const done = await cli(['--endpoint', ENDPOINT], environment({ NODE_EXTRA_CA_CERTS: caFile }));
    expect(done).toMatchObject({ code: 0, stderr: '' });
    expect(done.stdout).toMatch(/^Done: 26 created\.$/m);
    expect(counts()).toEqual({ endpoints: 1, steps: 15, images: 10 });
    expect(sandbox.dataverse.query('serviceendpoint')[0]).toMatchObject({ url: ENDPOINT, authtype: 4, authvalue: KEY });
    expectNoSecrets(done);

    const again = await cli(['--endpoint', ENDPOINT, '--json', '--ca-file', caFile]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ mode: 'register', dryRun: false, endpoint: ENDPOINT, summary: { create: 0, update: 0, unchanged: 26, delete: 0 } });
    expectNoSecrets(again);

    // Removing asks first; with no terminal it needs --yes, and nothing is removed without it.
    const unconfirmed = await cli(['--remove', '--ca-file', caFile]);
    expectOneErrorLine(unconfirmed, 2, /^delete-sync: DS_ERR_INVALID_PAYLOAD: Remove 26 registration item\(s\) from .+: add --yes to confirm \(no terminal to ask on\) \(at --yes\)$/);
    expect(counts()).toEqual({ endpoints: 1, steps: 15, images: 10 });
    const removed = await cli(['--remove', '--yes', '--ca-file', caFile]);
    expect(removed).toMatchObject({ code: 0, stderr: '' });
    expect(removed.stdout).toMatch(/^ {2}removed {4}endpoint {2}CRM-Outlook delete sync$/m);
    expect(counts()).toEqual({ endpoints: 0, steps: 0, images: 0 });
  }, 180_000);

  it.concurrent('bad input: one line, exit 2', async () => {
    expectOneErrorLine(await cli(['--ca-file', 'unused.pem']), 2, /^delete-sync: DS_ERR_CONFIG: Give --endpoint .+ \(at --endpoint\)$/);
  });

  it.concurrent('a wrong client secret is named as such (AADSTS7000215): one coded line, exit 2', async () => {
    const result = await cli(['--endpoint', ENDPOINT, '--ca-file', caFile], environment({ AZURE_CLIENT_SECRET: 'not-the-secret' }));
    expectOneErrorLine(result, 2, /^delete-sync: DS_ERR_CONFIG: sign-in refused: the client secret is not valid \(AADSTS7000215\): .+ \(at AZURE_CLIENT_SECRET\)$/);
  });
});

/** Sign-in and settings, in process (the same program and argv; no spawn per case). */
describe('delete-sync register: sign-in failures an administrator can tell apart', () => {
  const env = (extra: Record<string, string> = {}) => {
    const { PATH: _path, ...rest } = environment(extra);
    return rest as Record<string, string>;
  };

  it('a wrong tenant (AADSTS90002), an untrusted certificate and a wrong secret each name their setting, exit 2', async () => {
    const tenant = await runCommand(env({ AZURE_TENANT_ID: '11111111-2222-4333-8444-555555555555', EXTRA_CA_FILE: caFile }), 'register', '--endpoint', ENDPOINT, '--dry-run');
    expect(tenant).toMatchObject({ code: 2, stdout: '' });
    expect(tenant.stderr).toMatch(/^delete-sync: DS_ERR_CONFIG: sign-in refused: the tenant 11111111-2222-4333-8444-555555555555 does not exist at .+ \(AADSTS90002\): check AZURE_TENANT_ID \(at AZURE_TENANT_ID\)\n$/);

    const untrusted = await runCommand(env(), 'register', '--endpoint', ENDPOINT, '--dry-run');
    expect(untrusted).toMatchObject({ code: 2, stdout: '' });
    expect(untrusted.stderr).toMatch(/^delete-sync: DS_ERR_CONFIG: the sign-in host .+ presented a certificate this machine does not trust \([A-Z_]+\): give its CA with --ca-file or EXTRA_CA_FILE \(at EXTRA_CA_FILE\)\n$/);

    const secret = await runCommand(env({ AZURE_CLIENT_SECRET: 'not-the-secret', EXTRA_CA_FILE: caFile }), 'register', '--endpoint', ENDPOINT, '--dry-run');
    expect(secret.stderr).toMatch(/AADSTS7000215.+\(at AZURE_CLIENT_SECRET\)\n$/);
    for (const result of [tenant, untrusted, secret]) expect(result.stderr).not.toContain(sandbox.client.clientSecret);
  });

  it('honours EXTRA_CA_FILE like the service (no --ca-file needed)', async () => {
    const result = await runCommand(env({ EXTRA_CA_FILE: caFile }), 'register', '--endpoint', ENDPOINT, '--dry-run', '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ mode: 'register', dryRun: true });
  });

  it('a sign-in host that accepts and never answers fails after --timeout, exit 1 (it used to hang)', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const result = await runCommand(env({ AZURE_AUTHORITY_HOST: `https://127.0.0.1:${port}`, EXTRA_CA_FILE: caFile }), '--timeout', '1', 'register', '--endpoint', ENDPOINT, '--dry-run');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(/^delete-sync: DS_ERR_UPSTREAM: no answer from the sign-in host 127\.0\.0\.1:\d+ within 1 s .+ \(at AZURE_AUTHORITY_HOST\)\n$/);
    } finally {
      silent.close();
    }
  });
});

/** Input checks fail before any sign-in, so these run in process: the same program, argv and exit code. */
describe('delete-sync register: input checks (in process)', () => {
  async function inProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stderr: string }> {
    const program = createProgram();
    register(program);
    for (const [name, value] of Object.entries({ DATAVERSE_URL: 'https://contoso.crm.dynamics.com', DATAVERSE_WEBHOOK_KEY: KEY, ...env })) vi.stubEnv(name, value);
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0);
    try {
      return { code: await runCli(program, ['node', 'delete-sync', 'register', ...args]), stderr: lines.join('') };
    } finally {
      stderr.mockRestore();
      vi.unstubAllEnvs();
    }
  }

  it.each([
    ['a short --key', ['--endpoint', ENDPOINT, '--key', 'short'], {}, /^delete-sync: DS_ERR_CONFIG: --key must be at least 16 characters \(at --key\)$/],
    ['a key in the endpoint URL', ['--endpoint', `${ENDPOINT}?code=abc`], {}, /^delete-sync: DS_ERR_CONFIG: --endpoint must not carry a key .+ \(at --endpoint\)$/],
    ['a relative endpoint', ['--endpoint', '/api/dataverse/webhook'], {}, /^delete-sync: DS_ERR_CONFIG: --endpoint is not an absolute URL \(at --endpoint\)$/],
    ['an ftp endpoint', ['--endpoint', 'ftp://example.com/hook'], {}, /^delete-sync: DS_ERR_CONFIG: --endpoint must be an http\(s\) URL \(at --endpoint\)$/],
    ['an unreadable --ca-file', ['--endpoint', ENDPOINT, '--ca-file', '/nonexistent/ca.pem'], {}, /^delete-sync: DS_ERR_CONFIG: --ca-file cannot be read \(ENOENT\) \(at --ca-file\)$/],
    ['no Dataverse URL', ['--endpoint', ENDPOINT], { DATAVERSE_URL: undefined }, /^delete-sync: DS_ERR_CONFIG: Give --dataverse-url or set DATAVERSE_URL \(at --dataverse-url\)$/],
    ['a bad DATAVERSE_URL', ['--endpoint', ENDPOINT], { DATAVERSE_URL: 'contoso' }, /^delete-sync: DS_ERR_CONFIG: DATAVERSE_URL .+ \(at DATAVERSE_URL\)$/],
    ['a short DATAVERSE_WEBHOOK_KEY', ['--endpoint', ENDPOINT], { DATAVERSE_WEBHOOK_KEY: 'short' }, /^delete-sync: DS_ERR_CONFIG: DATAVERSE_WEBHOOK_KEY must be at least 16 characters \(at DATAVERSE_WEBHOOK_KEY\)$/],
    ['an unknown option', ['--endpoint', ENDPOINT, '--frobnicate'], {}, /^delete-sync: usage: unknown option '--frobnicate'$/],
  ])('%s: one line, exit 2', async (_name, args, env, pattern) => {
    const result = await inProcess(args, env);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(pattern)]);
    expect(result.stderr).not.toContain(KEY);
  });
});
