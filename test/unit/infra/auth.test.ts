/**
 * App Service authentication for the explorer (infra/app/auth.bicep): sign-in required except on the
 * paths whose callers cannot sign in — exactly the receivers, health and the admin-key APIs the route
 * table serves — and the app told to trust the principal (EXPLORER_EASY_AUTH) under the same condition
 * that deploys the module, never otherwise.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../src/handlers/routes.js';
import { bicepModules, blockAfter, objectEntries, readRepoFile } from './bicep.js';

const main = readRepoFile('infra/main.bicep');
const auth = readRepoFile('infra/app/auth.bicep');

function arrayAfter(text: string, anchor: string): string[] {
  const start = text.indexOf(anchor);
  const body = text.slice(start + anchor.length, text.indexOf(']', start));
  return [...body.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

describe('infra/app/auth.bicep', () => {
  it('requires sign-in through Entra everywhere else, over HTTPS', () => {
    const validation = objectEntries(blockAfter(auth, 'globalValidation: {'));
    expect(validation.get('requireAuthentication')).toBe('true');
    expect(validation.get('unauthenticatedClientAction')).toBe("'RedirectToLoginPage'");
    expect(objectEntries(blockAfter(auth, 'platform: {')).get('enabled')).toBe('true');
    expect(objectEntries(blockAfter(auth, 'httpSettings: {')).get('requireHttps')).toBe('true');
    expect(auth).toContain("name: 'authsettingsV2'");
    expect(objectEntries(blockAfter(auth, 'azureActiveDirectory: {')).get('enabled')).toBe('true');
  });

  it('leaves open exactly the receivers, health and the admin-key APIs, and no explorer path', () => {
    const open = arrayAfter(auth, 'var openPaths = [').sort();
    const routes = [ROUTES.dataverseWebhook, ROUTES.graphNotifications, ROUTES.graphLifecycle, ROUTES.health, ROUTES.decisions, ROUTES.linksPut];
    expect(open).toEqual([...new Set(routes.map((r) => `/api/${r.route}`))].sort());
    expect(open.some((p) => p.includes('explorer'))).toBe(false);
  });
});

describe('main.bicep wiring of sign-in', () => {
  it('deploys the module and tells the app Easy Auth is on under one and the same condition', () => {
    const module = bicepModules(main).find((m) => m.symbol === 'auth');
    expect(module?.path).toBe('app/auth.bicep');
    expect(main).toMatch(/^module auth 'app\/auth\.bicep' = if \(!empty\(explorerSignInClientId\)\) \{$/m);
    const settings = objectEntries(blockAfter(main, 'appSettings: {'));
    expect(settings.get('EXPLORER_EASY_AUTH')).toBe('string(!empty(explorerSignInClientId))');
    expect(module?.params.get('clientId')).toBe('explorerSignInClientId');
  });
});
