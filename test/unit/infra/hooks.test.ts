/**
 * The azd hooks and the rotation script (issue 16, items 4, 7, 8). No az CLI or Azure is reachable
 * here, so the scripts' az calls are checked by reading them; their own logic (the function-list
 * comparison, key generation, reading azd's values into the shell) runs for real under sh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPLORER_PAGE, ROUTES } from '../../../src/handlers/routes.js';
import { blockAfter, infraDir, objectEntries, readRepoFile, repoRoot, stringLiteral } from './bicep.js';

const scripts = [
  ...readdirSync(join(infraDir, 'hooks')).filter((f) => f.endsWith('.sh')).map((f) => `infra/hooks/${f}`),
  ...readdirSync(join(infraDir, 'scripts')).filter((f) => f.endsWith('.sh')).map((f) => `infra/scripts/${f}`),
];
const text = (file: string) => readRepoFile(file);
const lib = join(infraDir, 'hooks/lib.sh');

/** Runs `body` in sh with lib.sh sourced; returns stdout. */
function sh(body: string, env: Record<string, string> = {}): string {
  return execFileSync('sh', ['-c', `. "${lib}"\n${body}`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
}

/** Body of a shell function `name() { … }` up to the next line that is only `}`. */
function shellFunction(file: string, name: string): string {
  const m = new RegExp(`^${name}\\(\\) \\{\\n([\\s\\S]*?)^\\}$`, 'm').exec(text(file));
  if (!m) throw new Error(`${name} not found in ${file}`);
  return m[1]!;
}

describe('hook and script files', () => {
  it('are the ones expected, executable, and parse as POSIX sh', () => {
    expect(scripts.sort()).toEqual(['infra/hooks/lib.sh', 'infra/hooks/postdeploy.sh', 'infra/hooks/postprovision.sh', 'infra/scripts/rotate-key.sh']);
    for (const file of scripts) {
      if (!file.endsWith('lib.sh')) expect(statSync(join(repoRoot, file)).mode & 0o111, file).not.toBe(0);
      const check = spawnSync('sh', ['-n', join(repoRoot, file)], { encoding: 'utf8' });
      expect(check.status, `${file}: ${check.stderr}`).toBe(0);
    }
  });

  it('run every az command against the azd environment\'s subscription (item 4)', () => {
    expect(shellFunction('infra/hooks/lib.sh', 'azs')).toContain('az "$@" --subscription "$AZURE_SUBSCRIPTION_ID"');
    expect(shellFunction('infra/hooks/lib.sh', 'arm')).toContain('--url "/subscriptions/$AZURE_SUBSCRIPTION_ID/');
    let calls = 0;
    for (const file of scripts) {
      const lines = text(file).split('\n');
      lines.forEach((line, i) => {
        const code = line.replace(/#.*$/, '');
        if (!/(^|[\s;|&(])az\s/.test(code)) return;
        calls++;
        // The two wrappers are the only places az itself is called.
        const inWrapper = file === 'infra/hooks/lib.sh' && /^\s+az (("\$@" --subscription)|rest --method "\$method")/.test(code);
        expect(inWrapper, `${file}:${i + 1}: ${line.trim()}`).toBe(true);
      });
      if (file !== 'infra/hooks/lib.sh') expect(text(file), file).toMatch(/need AZURE_SUBSCRIPTION_ID /);
    }
    expect(calls).toBe(2);
  });

  it('never put a secret on a command line or in their output (item 7)', () => {
    for (const file of scripts) {
      expect(text(file), file).not.toMatch(/--value\b/);
      expect(text(file), file).not.toMatch(/set -x|set -o xtrace/);
      // Variables that hold a key are never echoed.
      expect(text(file), file).not.toMatch(/echo[^\n]*\$\{?(current|previous|next|secret|key)\b/);
    }
    const kvSet = shellFunction('infra/hooks/lib.sh', 'kv_set');
    expect(kvSet).toContain('--file "$secret_file"');
    expect(kvSet).toContain('chmod 600');
    // The probe hands the key to curl on stdin (-K -), not as an argument.
    expect(shellFunction('infra/scripts/rotate-key.sh', 'app_accepts')).toMatch(/printf 'url = "%s\?code=%s"\\n'[^\n]*\|\s*\n?\s*curl[^\n]*-K -/);
  });

  it('use the secret names main.bicep gives the Key Vault references', () => {
    const bicep = new Map([...objectEntries(blockAfter(readRepoFile('infra/main.bicep'), 'var secretNames = {'))].map(([k, v]) => [k, stringLiteral(v)]));
    const names = Object.fromEntries(sh('echo "$WEBHOOK_KEY_SECRET $PREVIOUS_WEBHOOK_KEY_SECRET $ADMIN_KEY_SECRET"').trim().split(' ').entries());
    expect([names[0], names[1], names[2]]).toEqual([bicep.get('webhookKey'), bicep.get('previousWebhookKey'), bicep.get('adminKey')]);
  });
});

describe('postprovision', () => {
  const hook = text('infra/hooks/postprovision.sh');

  it('creates each missing secret, the previous webhook key as a copy of the current one, then waits for the references', () => {
    for (const name of ['WEBHOOK_KEY_SECRET', 'ADMIN_KEY_SECRET']) expect(hook).toContain(`has "$${name}" || { kv_set "$${name}" "$(new_secret)"`);
    expect(hook).toContain('kv_set "$PREVIOUS_WEBHOOK_KEY_SECRET" "$(kv_get "$WEBHOOK_KEY_SECRET")"');
    // Role assignments made by the same provision take a while: both waits retry.
    expect(hook).toMatch(/names=\$\(retry \d+ \d+ list_secrets\)/);
    expect(hook).toMatch(/retry \d+ \d+ references_resolved/);
    expect(hook.indexOf('references_resolved')).toBeGreaterThan(hook.lastIndexOf('kv_set'));
  });

  it('makes keys of 43 base64url characters, never the same twice', () => {
    const [a, b] = [sh('new_secret'), sh('new_secret')];
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });
});

describe('postdeploy', () => {
  const hook = text('infra/hooks/postdeploy.sh');
  const expected = /^EXPECTED_FUNCTIONS="([^"]+)"$/m.exec(hook)?.[1]?.split(' ') ?? [];

  it('waits for exactly the functions the app registers', () => {
    const registered = new Set<string>([...Object.values(ROUTES), EXPLORER_PAGE].map((r) => r.name));
    for (const file of readdirSync(join(repoRoot, 'functions')).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(join(repoRoot, 'functions', file), 'utf8').matchAll(/app\.(?:storageQueue|timer)\('(\w+)'/g)) registered.add(m[1]!);
    }
    expect(registered.size).toBeGreaterThanOrEqual(9);
    expect([...expected].sort()).toEqual([...registered].sort());
  });

  it('retries for at least five minutes while the host indexes the package (item 4)', () => {
    const m = /retry (\d+) (\d+) all_indexed/.exec(hook);
    expect(m).not.toBeNull();
    expect(Number(m![1]) * Number(m![2])).toBeGreaterThanOrEqual(300);
    expect(hook).toMatch(/retry \d+ \d+ references_resolved/);
    expect(hook).toMatch(/retry \d+ \d+ healthy/);
    expect(hook).toContain(`$PUBLIC_BASE_URL/api/${ROUTES.health.route}`);
  });

  it('finds what az functionapp function list still lacks', () => {
    const listed = 'func-delete-sync-abc/dataverseWebhook\nfunc-delete-sync-abc/health\n';
    const missing = sh('missing_functions "$EXPECTED" "$LISTED"', { EXPECTED: expected.join(' '), LISTED: listed }).trim().split('\n');
    expect(missing.sort()).toEqual(expected.filter((f) => f !== 'dataverseWebhook' && f !== 'health').sort());
    const all = expected.map((f) => `func-delete-sync-abc/${f}`).join('\n');
    expect(sh('missing_functions "$EXPECTED" "$LISTED"', { EXPECTED: expected.join(' '), LISTED: all })).toBe('');
    // A function whose name only ends like an expected one does not count.
    expect(sh('missing_functions "health" "app/nothealth"')).toBe('health\n');
  });
});

describe('one webhook key (item 8)', () => {
  it('is checked by the handler alone: the route is anonymous at the host and nothing sets a function key', () => {
    expect(ROUTES.dataverseWebhook.authLevel).toBe('anonymous');
    for (const file of scripts) expect(text(file), file).not.toMatch(/function keys|x-functions-key/);
  });

  it('rotates in one step that never leaves Dataverse with a key the app refuses', () => {
    const rotate = shellFunction('infra/scripts/rotate-key.sh', 'rotate_webhook');
    const order = [
      'dataverse_holds "$current"', // only shift when Dataverse holds the current key
      'kv_set "$PREVIOUS_WEBHOOK_KEY_SECRET" "$current"', // the old key stays valid…
      'kv_set "$WEBHOOK_KEY_SECRET" "$next"', // …beside the new one
      'references_resolved', // the app has both
      'app_accepts "$next"', // and says so, five times in a row
      'register_key "$next"', // only then does Dataverse switch
    ].map((step) => [step, rotate.indexOf(step)] as const);
    for (const [step, at] of order) expect(at, step).toBeGreaterThan(-1);
    for (let i = 1; i < order.length; i++) expect(order[i]![1], `${order[i]![0]} after ${order[i - 1]![0]}`).toBeGreaterThan(order[i - 1]![1]);
    // A run that stopped before Dataverse switched is finished, not started again (which would drop the key Dataverse holds).
    expect(rotate).toContain('elif [ "$previous" != "$current" ] && dataverse_holds "$previous"; then');
    expect(rotate).toMatch(/else\n\s+fail "Dataverse holds neither key/);
  });
});

describe('load_azd_env', () => {
  it('reads azd values into the shell without running anything in them, and keeps values already set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'azd-env-'));
    try {
      const marker = join(dir, 'ran');
      const values = { AZURE_RESOURCE_GROUP: "rg-it's", TRICKY: `$(touch ${marker}) \`touch ${marker}\` "q"`, ALREADY: 'from azd', 'NOT-A-NAME': 'x' };
      const out = execFileSync('sh', ['-c', `eval "$(node "${join(infraDir, 'hooks/shell-assignments.mjs')}")"\nprintf '%s|%s|%s' "$AZURE_RESOURCE_GROUP" "$TRICKY" "$ALREADY"`], {
        input: JSON.stringify(values),
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', ALREADY: 'from the shell' },
      });
      expect(out).toBe(`rg-it's|${values.TRICKY}|from the shell`);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
