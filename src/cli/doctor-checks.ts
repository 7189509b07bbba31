/**
 * `delete-sync doctor`'s checks: what a deployment needs, each asked of the tenant itself, each one
 * line with a fix. Sign-in (a token for Graph and for Dataverse); every Graph application role the
 * service uses, read from the token's `roles` claim (what was actually granted and consented); the
 * Dataverse application user (WhoAmI), its privileges and depths (RetrieveUserPrivileges), and an
 * impersonation probe (WhoAmI with CallerObjectId: RetrieveUserPrivileges also lists privileges a team
 * gives, which impersonation ignores); the webhook endpoint and steps (the `register` plan against what
 * the org holds); the stored subscriptions' health; and the public notification URLs answering Graph's
 * validation handshake.
 */
import { randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { DataverseClient, RolePrivilege } from '../dataverse/client.js';
import { planRegistration, readMessageFilters, readRegistration } from '../dataverse/registration.js';
import { ACT_ON_BEHALF_PRIVILEGE } from '../dataverse/refusals.js';
import type { SubscriptionRow } from '../graph/subscriptions.js';

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do when it failed; null when it passed. */
  fix: string | null;
}

/**
 * The Graph application roles the service calls with (the sandbox enforces each as its Learn page
 * documents; see sandbox/FIDELITY.md): subscriptions need the read role itself, deletes the write role.
 */
export const REQUIRED_GRAPH_ROLES: readonly { role: string; why: string }[] = [
  { role: 'Calendars.Read', why: 'event subscriptions and reading meetings' },
  { role: 'Calendars.ReadWrite', why: 'deleting or cancelling meeting copies' },
  { role: 'Contacts.Read', why: 'contact subscriptions and contacts delta' },
  { role: 'Contacts.ReadWrite', why: 'deleting contact copies and restoring an owner\'s contact' },
  { role: 'Mail.Read', why: 'message subscriptions and internetMessageId' },
  { role: 'Tasks.ReadWrite.All', why: 'the To Do delta poll and task deletes' },
  { role: 'User.Read.All', why: 'resolving mailbox owners' },
  { role: 'GroupMember.Read.All', why: 'reading the synced group (SYNC_GROUP_ID)' },
];

/**
 * The application user's privileges, all at Organization (Global) depth: the service reads any user's
 * records, and an impersonated delete runs with the intersection of the application user's and the
 * user's privileges, so the application user needs Delete on activities too.
 */
export const REQUIRED_DATAVERSE_PRIVILEGES: readonly { privilege: string; why: string }[] = [
  { privilege: 'prvReadActivity', why: 'reading appointments, tasks and e-mails' },
  { privilege: 'prvReadContact', why: 'reading contacts' },
  { privilege: 'prvReadUser', why: 'mapping mailboxes to CRM users' },
  { privilege: 'prvDeleteActivity', why: 'Outlook → CRM deletes of appointments and tasks (impersonation uses the intersection of privileges)' },
  { privilege: ACT_ON_BEHALF_PRIVILEGE, why: 'deleting as the Outlook user (CallerObjectId)' },
];

export interface DoctorDeps {
  credential: TokenCredential;
  dataverse: DataverseClient;
  dataverseUrl: string;
  /** The synced mailboxes (one is used for the impersonation probe). */
  syncedUserIds(): Promise<string[]>;
  subscriptions(): Promise<SubscriptionRow[]>;
  /** Whether the synced mailboxes come from a group (then GroupMember.Read.All is needed). */
  usesGroup: boolean;
  publicBaseUrl: string | undefined;
  webhookKey: string | undefined;
  /** Time the notification URL may take to answer the validation handshake (Graph allows 10 s). */
  validationTimeoutMs?: number;
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

const pass = (check: string, detail: string): CheckResult => ({ check, ok: true, detail, fix: null });
const fail = (check: string, detail: string, fix: string): CheckResult => ({ check, ok: false, detail, fix });
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] as string;

/** The `roles` claim of a JWT access token; null when the token is not a readable JWT. */
export function tokenRoles(token: string): string[] | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    // A token with no granted role has no `roles` claim at all.
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return null;
  }
}

async function signIn(deps: DoctorDeps): Promise<{ results: CheckResult[]; graphToken: string | null; dataverseOk: boolean }> {
  const fix = 'check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or the managed identity) and that the app registration exists';
  const token = async (scope: string) => (await deps.credential.getToken(scope))?.token ?? null;
  const graph = await token(GRAPH_SCOPE).catch((e: unknown) => e);
  const dataverse = await token(`${deps.dataverseUrl.replace(/\/+$/, '')}/.default`).catch((e: unknown) => e);
  const graphToken = typeof graph === 'string' ? graph : null;
  return {
    graphToken,
    dataverseOk: typeof dataverse === 'string',
    results: [
      graphToken ? pass('sign-in graph', 'token issued') : fail('sign-in graph', `no token: ${reason(graph ?? 'none')}`, fix),
      typeof dataverse === 'string' ? pass('sign-in dataverse', 'token issued') : fail('sign-in dataverse', `no token: ${reason(dataverse ?? 'none')}`, fix),
    ],
  };
}

function graphRoles(deps: DoctorDeps, token: string | null): CheckResult[] {
  const needed = REQUIRED_GRAPH_ROLES.filter((r) => r.role !== 'GroupMember.Read.All' || deps.usesGroup);
  const granted = token === null ? null : tokenRoles(token);
  return needed.map(({ role, why }) => {
    const check = `graph role ${role}`;
    if (granted === null) return fail(check, 'the Graph token is missing or not a JWT, so its roles cannot be read', 'fix sign-in first');
    return granted.includes(role)
      ? pass(check, `granted (${why})`)
      : fail(check, `not in the token's roles (${why})`, `grant the Microsoft Graph application permission ${role} to the app and give admin consent; a new token carries it`);
  });
}

function privilegeLines(privileges: RolePrivilege[]): CheckResult[] {
  return REQUIRED_DATAVERSE_PRIVILEGES.map(({ privilege, why }) => {
    const check = `dataverse privilege ${privilege}`;
    const held = privileges.filter((p) => p.PrivilegeName === privilege);
    const fix = `add ${privilege} at Organization depth to a security role assigned directly to the application user`;
    if (held.length === 0) return fail(check, `not held (${why})`, fix);
    if (!held.some((p) => p.Depth === 'Global')) return fail(check, `held at ${held.map((p) => p.Depth).join('/')} depth only; the service needs Organization (${why})`, fix);
    return pass(check, `Organization depth (${why})`);
  });
}

async function dataverseUser(deps: DoctorDeps): Promise<CheckResult[]> {
  let appUserId: string;
  try {
    appUserId = await deps.dataverse.whoAmI();
  } catch (error) {
    return [
      fail('dataverse application user', `WhoAmI failed: ${reason(error)}`, "create an application user for the app's client id in the environment (Power Platform admin center → Application users) and assign it a security role"),
    ];
  }
  const results = [pass('dataverse application user', `systemuserid ${appUserId}`)];
  try {
    results.push(...privilegeLines(await deps.dataverse.retrieveUserPrivileges(appUserId)));
  } catch (error) {
    results.push(fail('dataverse privileges', `RetrieveUserPrivileges failed: ${reason(error)}`, 'give the application user a security role that may read its own privileges (prvReadUser)'));
  }
  results.push(await impersonation(deps, appUserId));
  return results;
}

async function impersonation(deps: DoctorDeps, appUserId: string): Promise<CheckResult> {
  const check = 'dataverse impersonation';
  const user = (await deps.syncedUserIds().catch(() => []))[0];
  if (user === undefined) return fail(check, 'no synced mailbox to impersonate', 'set SYNC_GROUP_ID or SYNC_USERS to at least one user');
  try {
    const asUser = await deps.dataverse.whoAmI({ callerObjectId: user });
    if (asUser.toLowerCase() === appUserId.toLowerCase()) return fail(check, `WhoAmI as ${user} still answered the application user`, `make ${user} a Dataverse user`);
    return pass(check, `requests run as ${user} (systemuserid ${asUser})`);
  } catch (error) {
    return fail(check, `WhoAmI as ${user} was refused: ${reason(error)}`, `assign a role holding ${ACT_ON_BEHALF_PRIVILEGE} directly to the application user (a team's role does not count), and make sure ${user} is a Dataverse user`);
  }
}

async function webhook(deps: DoctorDeps): Promise<CheckResult> {
  const check = 'dataverse webhook registration';
  if (deps.publicBaseUrl === undefined) return fail(check, 'PUBLIC_BASE_URL is not set, so the endpoint URL is unknown', 'set PUBLIC_BASE_URL');
  const endpointUrl = `${deps.publicBaseUrl}/api/dataverse/webhook`;
  try {
    const [current, known] = await Promise.all([readRegistration(deps.dataverse), readMessageFilters(deps.dataverse)]);
    const plan = planRegistration({ dataverseUrl: deps.dataverseUrl, endpointUrl, key: deps.webhookKey }, current, known);
    const off = plan.items.filter((i) => i.action !== 'unchanged');
    if (off.length === 0) return pass(check, `endpoint ${endpointUrl} with ${current.steps.length} steps and ${current.images.length} pre-images`);
    return fail(check, `${off.length} of ${plan.items.length} items missing or different (${off.slice(0, 3).map((i) => `${i.action} ${i.label}`).join('; ')}${off.length > 3 ? '; …' : ''})`, `run delete-sync register --endpoint ${endpointUrl}`);
  } catch (error) {
    return fail(check, `reading the registration failed: ${reason(error)}`, 'give the application user read access to serviceendpoint, sdkmessageprocessingstep and sdkmessageprocessingstepimage');
  }
}

async function subscriptions(deps: DoctorDeps): Promise<CheckResult> {
  const check = 'graph subscriptions';
  try {
    const rows = await deps.subscriptions();
    if (rows.length === 0) return fail(check, 'none stored', 'run delete-sync subscribe');
    const unhealthy = rows.filter((r) => r.health !== 'ok' && r.health !== 'renew-due');
    if (unhealthy.length === 0) return pass(check, `${rows.length} healthy`);
    const byHealth = [...new Set(unhealthy.map((r) => r.health))].map((h) => `${unhealthy.filter((r) => r.health === h).length} ${h}`).join(', ');
    return fail(check, `${unhealthy.length} of ${rows.length} unhealthy (${byHealth})`, 'see delete-sync subscriptions; then run delete-sync subscribe (--retry-blocked once a 403 is fixed)');
  } catch (error) {
    return fail(check, `reading the stored subscriptions failed: ${reason(error)}`, 'check STORAGE_CONNECTION_STRING');
  }
}

/** Graph's handshake: POST …?validationToken=X must answer 200, text/plain, X itself, within 10 s. */
async function validation(deps: DoctorDeps, path: string, name: string): Promise<CheckResult> {
  const check = `public ${name} url`;
  if (deps.publicBaseUrl === undefined) return fail(check, 'PUBLIC_BASE_URL is not set', 'set PUBLIC_BASE_URL to the https address Graph can reach');
  const url = `${deps.publicBaseUrl}${path}`;
  const token = `doctor ${randomBytes(12).toString('base64url')}`;
  const fix = `make ${url} reachable over HTTPS from the internet and routed to this service`;
  try {
    const response = await fetch(`${url}?validationToken=${encodeURIComponent(token)}`, {
      method: 'POST',
      signal: AbortSignal.timeout(deps.validationTimeoutMs ?? 10_000),
    });
    const body = await response.text();
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 200 && type.startsWith('text/plain') && body === token) return pass(check, `${url} answers the validation handshake`);
    return fail(check, `${url} answered ${response.status} ${type || '(no type)'}${body === token ? '' : ' without the token'}`, fix);
  } catch (error) {
    return fail(check, `${url} did not answer: ${reason(error)}`, fix);
  }
}

export async function runDoctor(deps: DoctorDeps): Promise<CheckResult[]> {
  const signedIn = await signIn(deps);
  const results = [...signedIn.results, ...graphRoles(deps, signedIn.graphToken)];
  if (signedIn.dataverseOk) {
    results.push(...(await dataverseUser(deps)), await webhook(deps));
  }
  results.push(await subscriptions(deps));
  results.push(await validation(deps, '/api/graph/notifications', 'notification'), await validation(deps, '/api/graph/lifecycle', 'lifecycle'));
  return results;
}
