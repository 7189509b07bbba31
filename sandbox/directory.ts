/**
 * The tenant's people, shared by the Graph and Dataverse halves of the sandbox: each user has an
 * Entra object id and mailbox (Graph) and a systemuser with security roles (Dataverse).
 */
import { randomUUID } from 'node:crypto';

export interface DirectoryUser {
  /** Entra object id: Graph user id, Dataverse `azureactivedirectoryobjectid`, the CallerObjectId. */
  id: string;
  userPrincipalName: string;
  mail: string;
  displayName: string;
  /** Dataverse systemuserid. */
  systemUserId: string;
  /** Whether one of the user's security roles grants Delete on activities and contacts. */
  canDelete: boolean;
  /** Whether the user may impersonate others (prvActOnBehalfOfAnotherUser): true for the app user. */
  canActOnBehalf: boolean;
  /** Application users (the service itself) have no mailbox. */
  isApplicationUser: boolean;
}

export class Directory {
  private readonly byId = new Map<string, DirectoryUser>();

  add(user: Partial<DirectoryUser> & { displayName: string }): DirectoryUser {
    const local = user.displayName.toLowerCase().replace(/[^a-z0-9]+/g, '.');
    const full: DirectoryUser = {
      id: user.id ?? randomUUID(),
      userPrincipalName: user.userPrincipalName ?? `${local}@contoso.test`,
      mail: user.mail ?? user.userPrincipalName ?? `${local}@contoso.test`,
      displayName: user.displayName,
      systemUserId: user.systemUserId ?? randomUUID(),
      canDelete: user.canDelete ?? true,
      canActOnBehalf: user.canActOnBehalf ?? false,
      isApplicationUser: user.isApplicationUser ?? false,
    };
    this.byId.set(full.id, full);
    return full;
  }

  all(): DirectoryUser[] {
    return [...this.byId.values()];
  }

  /** Graph accepts either the object id or the UPN in `/users/{id}`. */
  find(idOrUpn: string): DirectoryUser | undefined {
    const key = idOrUpn.toLowerCase();
    return this.byId.get(idOrUpn) ?? this.all().find((u) => u.userPrincipalName.toLowerCase() === key || u.mail.toLowerCase() === key);
  }

  bySystemUserId(systemUserId: string): DirectoryUser | undefined {
    return this.all().find((u) => u.systemUserId === systemUserId);
  }

  byMail(address: string): DirectoryUser | undefined {
    const key = address.toLowerCase();
    return this.all().find((u) => u.mail.toLowerCase() === key);
  }
}
