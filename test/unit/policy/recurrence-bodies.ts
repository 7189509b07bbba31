/** Delete bodies of a series master and of one of its instances, derived from the real appointment Delete fixture. */
import { optionSet, partyList, reconstructedDelete, reference, removeColumn, setColumn, xrmDate } from '../domain/dataverse-bodies.js';
import { APPOINTMENT_ID, NOW } from './facts-builders.js';

export type Json = Record<string, unknown>;
export const SERIES_ID = '00000000-0000-0000-0000-0000000b0001';
export const SERIES = { entity: 'recurringappointmentmaster', id: SERIES_ID };
export const INSTANCE = { entity: 'appointment', id: APPOINTMENT_ID };
export const ATTENDEE = '00000000-0000-0000-0000-00000000a002';
const DAY = 86_400_000;
export const at = (days: number) => new Date(NOW.getTime() + days * DAY);

/** The fixture's envelope as a Delete of the series master (its pre-image with the pattern start). */
export function seriesDelete(statecode: number, firstStart: Date | null): Json {
  const body = setColumn(reconstructedDelete(), 'statecode', optionSet(statecode));
  const target = (body.InputParameters as { value: Json }[])[0]!.value;
  target.LogicalName = 'recurringappointmentmaster';
  target.Id = SERIES_ID;
  body.PrimaryEntityName = 'recurringappointmentmaster';
  body.PrimaryEntityId = SERIES_ID;
  const image = (body.PreEntityImages as { value: Json }[])[0]!.value;
  image.LogicalName = 'recurringappointmentmaster';
  image.Id = SERIES_ID;
  removeColumn(body, 'scheduledstart');
  if (firstStart !== null) setColumn(body, 'starttime', xrmDate(firstStart));
  return body;
}

/** The fixture as the Delete of one instance of the series. */
export function instanceDelete(statecode: number, start: Date | null, columns: { type?: number | null; series?: unknown; original?: Date | null } = {}): Json {
  let body = setColumn(reconstructedDelete(), 'statecode', optionSet(statecode));
  body = setColumn(body, 'scheduledstart', start === null ? null : xrmDate(start));
  if (columns.type !== null) setColumn(body, 'instancetypecode', optionSet(columns.type ?? 2));
  if (columns.series !== null) setColumn(body, 'seriesid', columns.series ?? reference('recurringappointmentmaster', SERIES_ID));
  if (columns.original !== null) setColumn(body, 'originalstartdate', xrmDate(columns.original ?? start ?? at(1)));
  return setColumn(body, 'requiredattendees', partyList([{ mask: 5, party: { logicalName: 'systemuser', id: ATTENDEE } }]));
}

