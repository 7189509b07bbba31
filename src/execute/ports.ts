/**
 * The executor's narrow ports. The store and the clients are adapted to these; nothing else of them
 * reaches the executor.
 */
import type { CrmRef } from '../domain/event.js';
import type { Link } from '../domain/link.js';
import type { FollowUp } from '../policy/types.js';
import type { ItemOp, OpOutcome } from '../graph/batch.js';
import type { ContactInput, FoundEvent } from '../graph/items.js';
import type { DeleteResult } from '../dataverse/client.js';
import type { MailboxResolver } from '../dataverse/mailbox-resolver.js';
import type { Clock } from '../net/retry.js';
import type { SeriesOps } from './series.js';

/** What a tombstone names: a mailbox item (immutable id) or a CRM record. */
export type TombstoneTarget = { side: 'outlook'; userId: string; itemId: string } | { side: 'crm'; entity: string; id: string };

export interface TombstoneWriter {
  /** Written before a delete, so the echo notification of that delete is recognised. */
  write(target: TombstoneTarget, decisionId: string): Promise<void>;
  /** The same for many targets at once (a meeting's copies), in as few storage calls as the store allows; one result per target. */
  writeMany(targets: TombstoneTarget[], decisionId: string): Promise<PromiseSettledResult<void>[]>;
  /** Removed when the delete did not happen, so a later genuine delete is not mistaken for an echo. */
  remove(target: TombstoneTarget): Promise<void>;
}

export interface LinkStore {
  put(link: Link): Promise<void>;
  remove(link: Link): Promise<void>;
}

export interface FollowUpStore {
  remember(followUp: FollowUp): Promise<void>;
  /** Follow-ups waiting for a change of `ref`. */
  list(ref: CrmRef): Promise<FollowUp[]>;
  /** Called once a follow-up is done; one that failed stays for the next change. */
  forget(followUp: FollowUp): Promise<void>;
}

/** Mailbox work through Graph; recurring meetings through the series part (series.ts). */
export interface OutlookOps extends SeriesOps {
  fanOut(ops: ItemOp[], deadline: number): Promise<OpOutcome[]>;
  findEventsByICalUId(userId: string, iCalUId: string): Promise<FoundEvent[]>;
  createContact(userId: string, contact: ContactInput): Promise<{ id: string }>;
}

export interface CrmOps {
  /** Deletes as the user (CallerObjectId), so Dataverse enforces their Delete privilege. */
  deleteAs(ref: CrmRef, callerObjectId: string, deadline: number): Promise<DeleteResult>;
  /** The contact's current columns, or null when it no longer exists. */
  getContact(id: string): Promise<Record<string, unknown> | null>;
}

export interface ExecutorDeps {
  tombstones: TombstoneWriter;
  links: LinkStore;
  mailboxes: MailboxResolver;
  followUps: FollowUpStore;
  outlook: OutlookOps;
  crm: CrmOps;
  clock: Clock;
  /** Record the full plan, delete nothing. */
  dryRun: boolean;
  /** Time one execution may take: keep it inside the queue message's visibility window. */
  budgetMs: number;
  /** Comment sent with meeting cancellations. */
  cancelComment?: string;
}
