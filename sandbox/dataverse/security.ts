/**
 * Security roles as Dataverse applies them: each user holds privileges at a depth (Basic = records the
 * user owns, Local/Deep/Global = the business unit and beyond; the sandbox has one business unit, so
 * those three reach every record), directly through their own roles or inherited through a team.
 * The platform checks the privilege first (0x80040220 PrivilegeDenied), then whether its depth reaches
 * the record (0x80048306); under impersonation both the application user and the impersonated user
 * must pass ("the intersection of the privileges", Learn: Impersonate another user using the Web API).
 * prvActOnBehalfOfAnotherUser counts only when assigned directly, never through a team.
 */
import type { DirectoryUser } from '../directory.js';

/** The Web API's PrivilegeDepth enum names. */
export const DEPTHS = ['Basic', 'Local', 'Deep', 'Global'] as const;
export type Depth = (typeof DEPTHS)[number];

export interface Grant {
  depth: Depth;
  /** `team`: inherited through a team's role (RetrieveUserPrivileges lists it; impersonation ignores it). */
  via: 'role' | 'team';
}

export const ACT_ON_BEHALF = 'prvActOnBehalfOfAnotherUser';

/** The read privileges every user holds by default (a basic user role), at Global depth. */
const READ_PRIVILEGES = ['prvReadActivity', 'prvReadContact', 'prvReadAccount', 'prvReadUser'];
/** The Delete privileges the directory's `canDelete` stands for. */
export const DELETE_PRIVILEGES = ['prvDeleteActivity', 'prvDeleteContact', 'prvDeleteAccount'];

/** A stable id per privilege name, as RetrieveUserPrivileges answers PrivilegeId. */
function privilegeId(name: string): string {
  let hash = 0x811c9dc5;
  for (const ch of name) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const hex = hash.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}

export class Security {
  private readonly overrides = new Map<string, Map<string, Grant | null>>();

  /** Sets (or with null removes) one privilege of a user, replacing what the directory flags give. */
  set(systemUserId: string, privilege: string, grant: Grant | null): void {
    const key = systemUserId.toLowerCase();
    const own = this.overrides.get(key) ?? new Map<string, Grant | null>();
    own.set(privilege, grant);
    this.overrides.set(key, own);
  }

  /** Every privilege the user holds, from the directory's flags and then the overrides. */
  grants(user: DirectoryUser): Map<string, Grant> {
    const all = new Map<string, Grant>();
    for (const p of READ_PRIVILEGES) all.set(p, { depth: 'Global', via: 'role' });
    if (user.canDelete) for (const p of DELETE_PRIVILEGES) all.set(p, { depth: 'Global', via: 'role' });
    if (user.canActOnBehalf) all.set(ACT_ON_BEHALF, { depth: 'Global', via: 'role' });
    for (const [p, grant] of this.overrides.get(user.systemUserId.toLowerCase()) ?? []) {
      if (grant) all.set(p, grant);
      else all.delete(p);
    }
    return all;
  }

  holds(user: DirectoryUser, privilege: string): boolean {
    return this.grants(user).has(privilege);
  }

  /** Impersonation needs the privilege through the user's own role. */
  mayImpersonate(user: DirectoryUser): boolean {
    return this.grants(user).get(ACT_ON_BEHALF)?.via === 'role';
  }

  /** Whether the privilege's depth reaches a record owned by `ownerSystemUserId` (null: organization-owned). */
  reaches(user: DirectoryUser, privilege: string, ownerSystemUserId: string | null): boolean {
    const grant = this.grants(user).get(privilege);
    if (!grant) return false;
    return grant.depth !== 'Basic' || (ownerSystemUserId !== null && ownerSystemUserId.toLowerCase() === user.systemUserId.toLowerCase());
  }

  /** RetrieveUserPrivileges' RolePrivileges: direct and team-inherited privileges alike. */
  rolePrivileges(user: DirectoryUser, businessUnitId: string): { BusinessUnitId: string; Depth: Depth; PrivilegeId: string; PrivilegeName: string }[] {
    return [...this.grants(user)].map(([name, grant]) => ({ BusinessUnitId: businessUnitId, Depth: grant.depth, PrivilegeId: privilegeId(name), PrivilegeName: name }));
  }
}
