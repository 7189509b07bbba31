/**
 * The Graph application permissions each endpoint the sandbox serves documents, checked against the
 * `roles` of the caller's token (sources: the "Permissions" section of each Learn API page, "Create
 * subscription" § Permissions, "Microsoft Graph permissions reference"; rows in sandbox/FIDELITY.md).
 * Each requirement is a list of alternatives: any one granted role is enough.
 *
 * Read only what is documented: a role a page does not list does not open the endpoint, and where the
 * pages disagree or are silent the stricter reading is taken (noted at the entry).
 */
import { graphError, type GraphResponse } from './responses.js';
import type { ItemKind } from './store.js';

export type Roles = ReadonlySet<string>;
/** Any one of these roles is enough. */
export type Requirement = readonly string[];

export const itemRoles: Record<ItemKind, { read: Requirement; readFull: Requirement; write: Requirement }> = {
  // "List events": Calendars.ReadBasic least. Extended properties: "Get singleValueLegacyExtendedProperty"
  // lists Calendars.Read (ReadBasic excludes "body, attachments, and extensions"; safe side: no extended properties).
  event: { read: ['Calendars.ReadBasic', 'Calendars.Read', 'Calendars.ReadWrite'], readFull: ['Calendars.Read', 'Calendars.ReadWrite'], write: ['Calendars.ReadWrite'] },
  contact: { read: ['Contacts.Read', 'Contacts.ReadWrite'], readFull: ['Contacts.Read', 'Contacts.ReadWrite'], write: ['Contacts.ReadWrite'] },
  // Mail.ReadBasic(.All): "all properties except body, previewBody, attachments and any extended properties".
  message: { read: ['Mail.ReadBasic', 'Mail.ReadBasic.All', 'Mail.Read', 'Mail.ReadWrite'], readFull: ['Mail.Read', 'Mail.ReadWrite'], write: ['Mail.ReadWrite'] },
  // "todoTask: delta" lists Tasks.ReadWrite.All as least privileged and Tasks.Read.All as higher (sic); both read.
  todoTask: { read: ['Tasks.Read.All', 'Tasks.ReadWrite.All'], readFull: ['Tasks.Read.All', 'Tasks.ReadWrite.All'], write: ['Tasks.ReadWrite.All'] },
};

/** "Get user" / "List users": User.Read.All least for app-only (User.ReadBasic.All reads the basic profile). */
export const userRead: Requirement = ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/** "List group members": GroupMember.Read.All least. */
export const groupMembersRead: Requirement = ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/** "user: translateExchangeIds" (newest permission include). */
export const translateIds: Requirement = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All'];

/**
 * "Create subscription" § Permissions, Application column: event Calendars.Read, contact Contacts.Read,
 * message Mail.Read; todoTask "Not supported". "Creating a subscription requires read scope to the
 * resource" and "MS Graph Subscriptions will not be able to support write access permissions where only
 * read access privileges are needed": the read role itself is required, ReadWrite alone is refused.
 */
export const subscriptionRoles: Record<ItemKind, Requirement | 'notSupported'> = {
  event: ['Calendars.Read'],
  contact: ['Contacts.Read'],
  message: ['Mail.Read'],
  todoTask: 'notSupported',
};

export function allows(roles: Roles, requirement: Requirement): boolean {
  return requirement.some((r) => roles.has(r));
}

/** Outlook's 403 for an app without the role (fixture-free: code and message as Outlook answers). */
export function accessDenied(): GraphResponse {
  return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}

/** The directory's 403. */
export function directoryDenied(): GraphResponse {
  return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

/** Subscriptions are created by Graph on the resource owner's behalf: the error is wrapped as Graph does. */
export function subscriptionDenied(): GraphResponse {
  return graphError(403, 'ExtensionError', 'Operation: Create; Exception: [Status Code: Forbidden; Reason: Forbidden]');
}

/** Every role the sandbox knows, for a tenant that granted the app everything (the default). */
export const allGraphRoles: string[] = [
  ...new Set([
    ...Object.values(itemRoles).flatMap((r) => [...r.read, ...r.readFull, ...r.write]),
    ...userRead,
    ...groupMembersRead,
    ...translateIds,
  ]),
];
