/**
 * The explorer's authorization: the admin key always; an App Service principal only when the deployment
 * says Easy Auth is in front (a forged X-MS-CLIENT-PRINCIPAL grants nothing otherwise) and only with the
 * operator role.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { authorizeOperator } from '../../../src/handlers/explorer-auth.js';
import type { HandlerRequest } from '../../../src/handlers/http.js';
import { codedError } from '../contracts/coded-error.js';

const ADMIN_KEY = 'explorer-admin-key-0123456789';
const local = loadConfig({ ADMIN_KEY });
const easyAuth = loadConfig({ ADMIN_KEY, EXPLORER_EASY_AUTH: 'true' });

function request(headers: Record<string, string>): HandlerRequest {
  return { method: 'GET', path: '/api/explorer/decisions', query: {}, headers, rawBody: Buffer.alloc(0) };
}

/** X-MS-CLIENT-PRINCIPAL as App Service builds it: base64 of {auth_typ, claims, name_typ, role_typ}. */
function principal(claims: { typ: string; val: string }[], authType = 'aad', roleType = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role') {
  const value = { auth_typ: authType, claims, name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', role_typ: roleType };
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

const operator = principal([
  { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', val: 'Olga Operator' },
  { typ: 'roles', val: 'DeleteSync.Operator' },
]);

describe('authorizeOperator', () => {
  it('lets the admin key in, and nothing without a credential', () => {
    expect(authorizeOperator(request({ 'x-admin-key': ADMIN_KEY }), local)).toEqual({ via: 'admin-key' });
    expect(codedError(() => authorizeOperator(request({}), local)).code).toBe('DS_ERR_UNAUTHORIZED');
    expect(codedError(() => authorizeOperator(request({ 'x-admin-key': `${ADMIN_KEY}x` }), local)).code).toBe('DS_ERR_UNAUTHORIZED');
  });

  it('ignores a principal header when the deployment has not said Easy Auth is on (a forged header is no sign-in)', () => {
    expect(local.explorer.easyAuth).toBe(false);
    const forged = request({ 'x-ms-client-principal': operator, 'x-ms-client-principal-name': 'Olga Operator', 'x-ms-client-principal-idp': 'aad' });
    expect(codedError(() => authorizeOperator(forged, local)).code).toBe('DS_ERR_UNAUTHORIZED');
  });

  it('with Easy Auth on, lets a signed-in principal with the operator role in', () => {
    expect(authorizeOperator(request({ 'x-ms-client-principal': operator }), easyAuth)).toEqual({ via: 'entra', name: 'Olga Operator' });
    const mapped = principal([{ typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'DeleteSync.Operator' }]);
    expect(authorizeOperator(request({ 'x-ms-client-principal': mapped, 'x-ms-client-principal-name': 'olga@contoso.test' }), easyAuth)).toEqual({ via: 'entra', name: 'olga@contoso.test' });
  });

  it('with Easy Auth on, refuses a principal without the role, from another provider, or unreadable', () => {
    const noRole = principal([{ typ: 'roles', val: 'Reader' }]);
    expect(codedError(() => authorizeOperator(request({ 'x-ms-client-principal': noRole }), easyAuth)).code).toBe('DS_ERR_FORBIDDEN');
    const github = principal([{ typ: 'roles', val: 'DeleteSync.Operator' }], 'github');
    expect(codedError(() => authorizeOperator(request({ 'x-ms-client-principal': github }), easyAuth)).code).toBe('DS_ERR_FORBIDDEN');
    expect(codedError(() => authorizeOperator(request({ 'x-ms-client-principal': 'not base64 json' }), easyAuth)).code).toBe('DS_ERR_FORBIDDEN');
    // A role claim under some other claim type is not the role.
    const otherType = principal([{ typ: 'groups', val: 'DeleteSync.Operator' }]);
    expect(codedError(() => authorizeOperator(request({ 'x-ms-client-principal': otherType }), easyAuth)).code).toBe('DS_ERR_FORBIDDEN');
  });

  it('with Easy Auth on, still takes the admin key (the fallback), and asks for credentials without either', () => {
    expect(authorizeOperator(request({ 'x-admin-key': ADMIN_KEY }), easyAuth)).toEqual({ via: 'admin-key' });
    expect(codedError(() => authorizeOperator(request({}), easyAuth)).code).toBe('DS_ERR_UNAUTHORIZED');
  });

  it('needs the role the deployment names', () => {
    const custom = loadConfig({ ADMIN_KEY, EXPLORER_EASY_AUTH: 'true', EXPLORER_OPERATOR_ROLE: 'Support.Engineer' });
    expect(codedError(() => authorizeOperator(request({ 'x-ms-client-principal': operator }), custom)).code).toBe('DS_ERR_FORBIDDEN');
    const support = principal([{ typ: 'roles', val: 'Support.Engineer' }]);
    expect(authorizeOperator(request({ 'x-ms-client-principal': support }), custom).via).toBe('entra');
  });
});
