/**
 * Turns what the processor and executor did into Application Insights telemetry: one custom event per
 * decision (an OpenTelemetry log record carrying `microsoft.custom_event.name`, which the Azure Monitor
 * exporter maps to customEvents) and a few metrics. The logger and meter are passed in, so tests use
 * in-memory exporters and production uses the global providers that useAzureMonitor registers.
 */
import { z } from 'zod';
import type { Meter } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { Change, CrmRef, EntityKind, Origin } from '../domain/event.js';
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

/** One decision and what came of it. Ids only: the record, the mailbox item, the input's dedupe key. */
export const DecisionTelemetry = z.object({
  /** DomainEvent.id: joins the event to the audit record served by GET /api/decisions. */
  eventId: z.string(),
  correlationId: z.string().nullable().optional(),
  ruleId: z.string(),
  action: Action,
  entity: EntityKind,
  origin: Origin,
  change: Change,
  crmRef: CrmRef.nullable().optional(),
  /** The mailbox item the input was about (Outlook-side changes). */
  mailbox: z.object({ userId: z.string(), itemId: z.string() }).nullable().optional(),
  targetCount: z.number().int().nonnegative(),
  outcomes: z.partialRecord(TargetOutcome, z.number().int().nonnegative()),
  durationMs: z.number().nonnegative(),
  dryRun: z.boolean().optional(),
});
export type DecisionTelemetry = z.infer<typeof DecisionTelemetry>;

export interface PoisonTelemetry {
  eventId?: string;
  errorCode?: ErrorCode;
  dequeueCount?: number;
}

export interface HeldTelemetry {
  eventId?: string;
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
        eventId: d.eventId,
        correlationId: d.correlationId,
        ruleId: d.ruleId,
        action: d.action,
        entity: d.entity,
        origin: d.origin,
        change: d.change,
        crmEntity: d.crmRef?.entity,
        crmRecordId: d.crmRef?.id,
        mailboxUserId: d.mailbox?.userId,
        mailboxItemId: d.mailbox?.itemId,
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
      emit(EVENT_NAMES.poison, { ...info });
    },
    recordQueueAge(ms) {
      queueAge.record(Math.max(0, ms));
    },
    recordFanOut(n, entity) {
      fanOut.record(n, safeAttributes({ entity }));
    },
    recordHeld(n, info = {}) {
      held.add(n);
      emit(EVENT_NAMES.held, { ...info, heldCount: n });
    },
  };
}
