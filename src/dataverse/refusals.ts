/**
 * What a Dataverse 403 on an impersonated delete means. Dataverse runs the call with the intersection
 * of the application user's and the impersonated user's privileges, checks the privilege first
 * (0x80040220 PrivilegeDenied) and its depth against the record second (0x80048306), and its message
 * names the impersonated user even when the application user is the one lacking — so the code alone
 * cannot say whose role is short. `explainRefusal` asks RetrievePrincipalAccess for the application
 * user's own rights on the record to tell an operator problem from an ordinary "this user may not".
 * The code for a missing prvActOnBehalfOfAnotherUser is undocumented; a PrivilegeDenied naming that
 * privilege is taken as that case.
 */

/** Learn: Web service error codes — PrivilegeDenied, "The user does not hold the necessary privileges." */
export const PRIVILEGE_DENIED = '0x80040220';
/** Learn: Web service error codes — unManagedIdsAccessDenied; the access check after a passed privilege check. */
export const ACCESS_DENIED = '0x80048306';
export const ACT_ON_BEHALF_PRIVILEGE = 'prvActOnBehalfOfAnotherUser';

/** A refusal as Dataverse signals it, before asking whose privileges are short. */
export type RefusalSignal = 'impersonation-not-permitted' | 'privilege-denied' | 'record-access-denied';

export type RefusalKind =
  /** The impersonated user's roles hold no Delete privilege on the table: an ordinary, recorded skip. */
  | 'user-lacks-privilege'
  /** The impersonated user's Delete depth does not reach this record: an ordinary, recorded skip. */
  | 'user-lacks-record-access'
  /** The application user may not impersonate: an operator problem. */
  | 'app-cannot-impersonate'
  /** The application user's own Delete privilege (or its depth) does not reach the record: an operator problem. */
  | 'app-lacks-delete';

export function refusalSignal(httpStatus: number | null, code: string | null, message: string): RefusalSignal | null {
  if (httpStatus !== 403) return null;
  if (code === PRIVILEGE_DENIED) return message.includes(ACT_ON_BEHALF_PRIVILEGE) ? 'impersonation-not-permitted' : 'privilege-denied';
  if (code === ACCESS_DENIED) return 'record-access-denied';
  return null;
}

/** Whether a refusal is the operator's to fix (the application user's setup), not the user's. */
export function isOperatorRefusal(kind: RefusalKind): boolean {
  return kind === 'app-cannot-impersonate' || kind === 'app-lacks-delete';
}

/**
 * Settles whose privileges are short: `appHasDeleteAccess` is the application user's own answer from
 * RetrievePrincipalAccess (only asked when the signal leaves it open).
 */
export async function explainRefusal(signal: RefusalSignal, appHasDeleteAccess: () => Promise<boolean>): Promise<RefusalKind> {
  if (signal === 'impersonation-not-permitted') return 'app-cannot-impersonate';
  if (!(await appHasDeleteAccess())) return 'app-lacks-delete';
  return signal === 'privilege-denied' ? 'user-lacks-privilege' : 'user-lacks-record-access';
}

/** The audit sentence for each kind. */
export const REFUSAL_DETAIL: Readonly<Record<RefusalKind, string>> = {
  'user-lacks-privilege': "no Delete privilege: none of the deleting user's security roles grants Delete on this table",
  'user-lacks-record-access': "no Delete access to this record: the deleting user's Delete privilege depth (e.g. User) does not reach it",
  'app-cannot-impersonate':
    'operator problem: the application user may not act on behalf of users (prvActOnBehalfOfAnotherUser must be in a security role assigned directly to the application user, not through a team)',
  'app-lacks-delete':
    "operator problem: the application user's own Delete privilege does not reach this record (impersonated deletes need Delete at Organization depth on the application user too)",
};
