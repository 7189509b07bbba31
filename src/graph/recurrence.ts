/**
 * Recurring meetings through Graph: a series master's occurrences and exceptions by `/instances` (the
 * documented way to find one occurrence: by its series master and time range, not by iCalUId), reading
 * one event by id (a master's recurrence, or whether an occurrence still exists), and replacing a
 * master's recurrence (PATCH; Graph replaces the complex property as a whole).
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { graphStatus } from './errors.js';
import { collectionPath, IMMUTABLE_ID } from './items.js';

export const RecurrenceRange = z.looseObject({
  type: z.string(),
  startDate: z.string(),
  endDate: z.string().nullish(),
  numberOfOccurrences: z.number().int().nullish(),
  recurrenceTimeZone: z.string().nullish(),
});
export const PatternedRecurrence = z.looseObject({ pattern: z.looseObject({}), range: RecurrenceRange });

const DateTimeTimeZone = z.looseObject({ dateTime: z.string(), timeZone: z.string().nullish() });

export const SeriesEvent = z.looseObject({
  id: z.string().min(1),
  type: z.string().nullish(),
  seriesMasterId: z.string().nullish(),
  originalStart: z.string().nullish(),
  start: DateTimeTimeZone.nullish(),
  isOrganizer: z.boolean().nullish(),
  isCancelled: z.boolean().nullish(),
  recurrence: PatternedRecurrence.nullish(),
});
export type SeriesEvent = z.infer<typeof SeriesEvent>;
export type PatternedRecurrence = z.infer<typeof PatternedRecurrence>;

const Page = z.looseObject({ value: z.array(SeriesEvent), '@odata.nextLink': z.string().optional() });

const INSTANCE_SELECT = ['id', 'type', 'seriesMasterId', 'originalStart', 'start', 'isCancelled'];
const EVENT_SELECT = ['id', 'type', 'seriesMasterId', 'originalStart', 'start', 'isOrganizer', 'isCancelled', 'recurrence'];

function eventPath(userId: string, eventId: string): string {
  return `${collectionPath(userId, 'event')}/${encodeURIComponent(eventId)}`;
}

/** The event as it is now, or null when Graph answers 404 (gone, or an occurrence that was cancelled or deleted). */
export async function getSeriesEvent(client: Client, userId: string, eventId: string): Promise<SeriesEvent | null> {
  try {
    return SeriesEvent.parse(await client.api(eventPath(userId, eventId)).headers(IMMUTABLE_ID).select(EVENT_SELECT).get());
  } catch (error) {
    if (graphStatus(error) === 404) return null;
    throw error;
  }
}

/** Occurrences and exceptions of a series master that overlap [from, to), every page. */
export async function listInstances(client: Client, userId: string, masterId: string, from: Date, to: Date): Promise<SeriesEvent[]> {
  const out: SeriesEvent[] = [];
  let page = Page.parse(
    await client
      .api(`${eventPath(userId, masterId)}/instances`)
      .headers(IMMUTABLE_ID)
      .query({ startDateTime: from.toISOString(), endDateTime: to.toISOString() })
      .select(INSTANCE_SELECT)
      .get(),
  );
  out.push(...page.value);
  while (page['@odata.nextLink']) {
    page = Page.parse(await client.api(page['@odata.nextLink']).headers(IMMUTABLE_ID).get());
    out.push(...page.value);
  }
  return out;
}

/** Replaces the master's recurrence (pattern and range). Attendees' copies get the organizer's update from Exchange. */
export async function patchRecurrence(client: Client, userId: string, masterId: string, recurrence: PatternedRecurrence): Promise<void> {
  await client.api(eventPath(userId, masterId)).headers(IMMUTABLE_ID).patch({ recurrence });
}
