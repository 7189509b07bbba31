/**
 * A link: one mailbox item tracked against one CRM record. Links are the truth for Outlook deletes,
 * whose notifications carry only the item id.
 */
import { z } from 'zod';
import { CrmRef, OutlookItemKind } from './event.js';

export const LinkRole = z.enum(['organizer', 'attendee', 'owner', 'other']);

export const Link = z.object({
  crm: CrmRef,
  /** Mailbox owner's Entra object id (the Graph user id). */
  userId: z.string(),
  /** The CRM systemuser behind that mailbox, when known. */
  crmUserId: z.string().nullable(),
  itemKind: OutlookItemKind,
  itemId: z.string(),
  /** The mailbox owner's part in the record (organizer of the meeting, attendee, record owner). */
  role: LinkRole,
  /** To Do list id, for todoTask items. */
  listId: z.string().nullable(),
  /** How the link was learned: notification, webhook, import, api, created-by-sync … */
  source: z.string(),
  updatedAt: z.string(),
});

export type LinkRole = z.infer<typeof LinkRole>;
export type Link = z.infer<typeof Link>;
