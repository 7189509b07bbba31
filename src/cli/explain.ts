/**
 * `explain`: the decision the service would take for one input, from the input alone (plus, for
 * Outlook deletes, the facts the processor would look up). Pure: reading files happens in the command.
 */
import type { CrmEventDetail, CrmSnapshot, DomainEvent, OutlookEventDetail } from '../domain/event.js';
import { normalizeDataverseWebhook } from '../domain/normalize-dataverse.js';
import { normalizeGraphNotification, parseNotificationCollection } from '../domain/normalize-graph.js';
import { DeleteSyncError } from '../errors.js';
import type { PolicyConfig } from '../policy/config.js';
import { decide } from '../policy/decide.js';
import { factsFor, type LookedUp } from '../policy/facts.js';
import type { Decision, Facts } from '../policy/types.js';

export interface ExplainInput {
  /** The parsed input file. */
  document: unknown;
  /** Parsed --facts file, if given. */
  lookedUp: LookedUp | null;
  now: Date;
  policy: PolicyConfig;
}

/** What the decision was taken on, typed from the event and facts it is read from; null when absent. */
type EventSummary = Pick<DomainEvent, 'id' | 'origin' | 'change' | 'entity'> & {
  crmRef: Facts['crmRef'];
  statecode: CrmSnapshot['statecode'];
  scheduledStart: CrmSnapshot['scheduledStart'];
  /** Where the record sits in a recurring series, when it does. */
  series: NonNullable<CrmSnapshot['series']> | null;
  preImageMissing: CrmEventDetail['preImageMissing'] | null;
  sizeExceeded: CrmEventDetail['sizeExceeded'] | null;
  outlookItem: Pick<OutlookEventDetail, 'userId' | 'itemKind' | 'itemId'> | null;
};

export interface Explanation extends Decision {
  now: string;
  event: EventSummary;
}

function hasKey(document: unknown, key: string): boolean {
  return typeof document === 'object' && document !== null && !Array.isArray(document) && key in document;
}

function eventOf(input: ExplainInput): DomainEvent {
  const { document, lookedUp, now } = input;
  if (hasKey(document, 'MessageName')) return normalizeDataverseWebhook(document, {}, now);
  if (!hasKey(document, 'value')) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'neither a Dataverse webhook body (MessageName) nor a Graph notification collection (value)', { field: '$' });
  }
  const notifications = parseNotificationCollection(document);
  const [notification] = notifications;
  if (notification === undefined || notifications.length !== 1) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `explain takes one notification; this collection has ${notifications.length}`, { field: 'value' });
  }
  if (lookedUp === null) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'a Graph notification carries only the item id: give --facts with crmRef, record, actor and links', {
      field: '--facts',
    });
  }
  return normalizeGraphNotification(notification, now);
}

function summary(event: DomainEvent, facts: Facts): EventSummary {
  const outlook = event.outlook;
  return {
    id: event.id,
    origin: event.origin,
    change: event.change,
    entity: event.entity,
    crmRef: facts.crmRef,
    statecode: facts.record?.statecode ?? null,
    scheduledStart: facts.record?.scheduledStart ?? null,
    series: facts.record?.series ?? null,
    preImageMissing: event.crm?.preImageMissing ?? null,
    sizeExceeded: event.crm?.sizeExceeded ?? null,
    outlookItem: outlook === undefined ? null : { userId: outlook.userId, itemKind: outlook.itemKind, itemId: outlook.itemId },
  };
}

export function explain(input: ExplainInput): Explanation {
  const event = eventOf(input);
  const facts = factsFor(event, input.lookedUp ?? {});
  const decision = decide(facts, input.now, input.policy);
  return { ...decision, now: input.now.toISOString(), event: summary(event, facts) };
}
