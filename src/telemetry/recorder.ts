/**
 * Turns what the processor and executor did into Application Insights telemetry: one custom event per
 * decision (an OpenTelemetry log record carrying `microsoft.custom_event.name`, which the Azure Monitor
 * exporter maps to customEvents) and a few metrics. The logger and meter are passed in, so tests use
 * in-memory exporters and production uses the global providers that useAzureMonitor registers.
 */
import { z } from 'zod';
import type { Meter } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { Change, CrmRef, EntityKind, Origin, type DomainEvent } from '../domain/event.js';
import { Action } from '../policy/types.js';
import type { ErrorCode } from '../errors.js';
import { outcomeAttribute, safeAttributes, TargetOutcome, ThrottledService } from './attributes.js';

/** The attribute the Azure Monitor exporter reads to turn a log record into a customEvents row. */
export const CUSTOM_EVENT_ATTRIBUTE = 'microsoft.custom_event.name';

export const EVENT_NAMES = {
  decision: 'DeleteSync.Decision',
  throttled: 'DeleteSync.Throttled',
  poison: 'DeleteSync.Poison',
  held: 'DeleteSync.Held',
} as const;

export const METRIC_NAMES = {
  queueAge: 'deletesync.queue.age',
  fanOut: 'deletesync.fanout.size',
  throttled: 'deletesync.throttled',
  poison: 'deletesync.poison',
  held: 'deletesync.held',
} as const;

/**
 * What an event is about, as ids: the input (its dedupe key, which is also the audit record's id), the
 * CRM record and the mailbox item. Decision, Held and Poison events all carry it, so "why was this
 * record (not) deleted" finds each of them by the record or the item alone.
 */
export const TelemetrySubject = z.object({
  /** DomainEvent.id: joins the event to the audit record served by GET /api/decisions. */
  eventId: z.string(),
  correlationId: z.string().nullable().optional(),
  entity: EntityKind.optional(),
  origin: Origin.optional(),
  change: Change.optional(),
  crmRef: CrmRef.nullable().optional(),
  /** The mailbox item the input was about (Outlook-side changes). */
  mailbox: z.object({ userId: z.string(), itemId: z.string() }).nullable().optional(),
});
export type TelemetrySubject = z.infer<typeof TelemetrySubject>;

/** The subject of one parsed input: entity, origin and change are always known. */
export const EventSubject = TelemetrySubject.required({ entity: true, origin: true, change: true });
export type EventSubject = z.infer<typeof EventSubject>;

/** The subject of one input; `crmRef` when the facts found the record an Outlook item stood for. */
export function subjectOf(event: DomainEvent, crmRef?: CrmRef | null): EventSubject {
  return {
    eventId: event.id,
    correlationId: event.crm?.correlationId ?? null,
    entity: event.entity,
    origin: event.origin,
    change: event.change,
    crmRef: crmRef ?? event.crm?.ref ?? null,
    mailbox: event.outlook ? { userId: event.outlook.userId, itemId: event.outlook.itemId } : null,
  };
}

/** One decision and what came of it. Ids only: the record, the mailbox item, the input's dedupe key. */
export const DecisionTelemetry = EventSubject.extend({
  ruleId: z.string(),
  action: Action,
  targetCount: z.number().int().nonnegative(),
  outcomes: z.partialRecord(TargetOutcome, z.number().int().nonnegative()),
  durationMs: z.number().nonnegative(),
  dryRun: z.boolean().optional(),
});
export type DecisionTelemetry = z.infer<typeof DecisionTelemetry>;

/** A message given up after its last attempt; the subject when the message could be read. */
export interface PoisonTelemetry extends Partial<TelemetrySubject> {
  errorCode?: ErrorCode;
  dequeueCount?: number;
}

export interface HeldTelemetry extends Partial<TelemetrySubject> {
  ruleId?: string;
}

export interface TelemetryRecorder {
  recordDecision(d: DecisionTelemetry): void;
  recordThrottle(service: ThrottledService, mailboxOrUser?: string, retryAfterSeconds?: number): void;
  recordPoison(info?: PoisonTelemetry): void;
  recordQueueAge(ms: number): void;
  recordFanOut(n: number, entity?: EntityKind): void;
  recordHeld(n: number, info?: HeldTelemetry): void;
}

export function createTelemetryRecorder(sinks: { logger: Logger; meter: Meter }): TelemetryRecorder {
  const { logger, meter } = sinks;
  const queueAge = meter.createHistogram(METRIC_NAMES.queueAge, {
    unit: 'ms',
    description: 'Time a change waited in the queue before processing',
  });
  const fanOut = meter.createHistogram(METRIC_NAMES.fanOut, {
    unit: '{target}',
    description: 'Targets (mailbox copies or CRM records) one decision reached',
  });
  const throttled = meter.createCounter(METRIC_NAMES.throttled, { description: '429 answers from Graph or Dataverse' });
  const poison = meter.createCounter(METRIC_NAMES.poison, { description: 'Messages moved to the poison queue' });
  const held = meter.createCounter(METRIC_NAMES.held, { description: 'Deletes held back by the mass-delete brake' });

  const subject = (s: Partial<TelemetrySubject>) => ({
    eventId: s.eventId,
    correlationId: s.correlationId,
    entity: s.entity,
    origin: s.origin,
    change: s.change,
    crmEntity: s.crmRef?.entity,
    crmRecordId: s.crmRef?.id,
    mailboxUserId: s.mailbox?.userId,
    mailboxItemId: s.mailbox?.itemId,
  });

  const emit = (name: string, attributes: Record<string, unknown>): void => {
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: name,
      attributes: { ...safeAttributes(attributes), [CUSTOM_EVENT_ATTRIBUTE]: name },
    });
  };

  return {
    recordDecision(d) {
      const outcomes = Object.fromEntries(
        Object.entries(d.outcomes).map(([outcome, n]) => [outcomeAttribute(outcome as TargetOutcome), n]),
      );
      emit(EVENT_NAMES.decision, {
        ...subject(d),
        ruleId: d.ruleId,
        action: d.action,
        targetCount: d.targetCount,
        durationMs: d.durationMs,
        dryRun: d.dryRun ?? false,
        ...outcomes,
      });
    },
    recordThrottle(service, mailboxOrUser, retryAfterSeconds) {
      // The mailbox goes on the event, not the metric: one time series per mailbox would not scale.
      throttled.add(1, safeAttributes({ service }));
      emit(EVENT_NAMES.throttled, { service, mailboxUserId: mailboxOrUser, retryAfterSeconds });
    },
    recordPoison(info = {}) {
      poison.add(1);
      emit(EVENT_NAMES.poison, { ...subject(info), errorCode: info.errorCode, dequeueCount: info.dequeueCount });
    },
    recordQueueAge(ms) {
      queueAge.record(Math.max(0, ms));
    },
    recordFanOut(n, entity) {
      fanOut.record(n, safeAttributes({ entity }));
    },
    recordHeld(n, info = {}) {
      held.add(n);
      emit(EVENT_NAMES.held, { ...subject(info), ruleId: info.ruleId, heldCount: n });
    },
  };
}
