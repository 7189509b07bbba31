/**
 * Registering the service in Dataverse: one webhook service endpoint, an asynchronous PostOperation step
 * per message × tracked table, and a pre-image with exactly the columns the service reads. Desired state
 * is data; `planRegistration` / `planRemoval` compare it with what the org holds (pure); `readRegistration`
 * and `applyPlan` are the only parts that talk to Dataverse, so a dry run is "plan, do not apply".
 *
 * The endpoint's key (authvalue) cannot be read back (IsValidForRead is false), so the endpoint's
 * description carries a salted scrypt check of it: a rerun with the same key is "unchanged", a new key
 * is an update, and no key given leaves the stored one alone.
 */
import { scryptSync, timingSafeEqual } from 'node:crypto';
import { DeleteSyncError } from '../errors.js';
import type { DataverseClient } from './client.js';

export type TrackedTable = 'appointment' | 'recurringappointmentmaster' | 'task' | 'email' | 'contact';
export type StepMessage = 'Create' | 'Update' | 'Delete';

/**
 * The columns the service reads from a record (the CRM snapshot and the policy's facts), per table: the
 * Delete and Update pre-images carry exactly these, and Update steps fire only when one of them changes.
 * The record's id is not listed: the image entity and the Target carry it.
 */
export const SNAPSHOT_COLUMNS: Readonly<Record<TrackedTable, readonly string[]>> = {
  appointment: [
    'statecode',
    'scheduledstart',
    'ownerid',
    'organizer',
    'requiredattendees',
    'optionalattendees',
    'globalobjectid',
    'instancetypecode',
    'seriesid',
    'originalstartdate',
  ],
  /** A series' master: its parties and state, the Outlook series id, and the pattern start (whether it has begun). */
  recurringappointmentmaster: [
    'statecode',
    'ownerid',
    'organizer',
    'requiredattendees',
    'optionalattendees',
    'globalobjectid',
    'starttime',
    'effectivestartdate',
    'patternstartdate',
  ],
  task: ['statecode', 'ownerid'],
  email: ['statecode', 'ownerid', 'messageid'],
  contact: ['statecode', 'ownerid'],
};

export const TRACKED_TABLES = Object.keys(SNAPSHOT_COLUMNS) as TrackedTable[];
export const STEP_MESSAGES: readonly StepMessage[] = ['Delete', 'Create', 'Update'];

/** The endpoint is found again by this name; steps are found by their event handler (the endpoint). */
export const ENDPOINT_NAME = 'CRM-Outlook delete sync';
export const IMAGE_ALIAS = 'PreImage';

/** Option-set values as Dataverse defines them (serviceendpoint, sdkmessageprocessingstep, …image). */
export const WEBHOOK_CONTRACT = 8;
export const AUTH_WEBHOOK_KEY = 4;
export const MESSAGE_FORMAT_JSON = 2;
export const STAGE_POST_OPERATION = 40;
export const MODE_ASYNCHRONOUS = 1;
export const DEPLOYMENT_SERVER = 0;
export const IMAGE_TYPE_PRE = 0;

const KEY_CHECK_PREFIX = 'key-check scrypt:';
const ENDPOINT_DESCRIPTION = 'Managed by delete-sync register: receives Delete, Create and Update of tracked records.';

export type Action = 'create' | 'update' | 'unchanged' | 'delete';
export type ItemKind = 'endpoint' | 'step' | 'image';
type Values = Record<string, string | number | boolean | null>;

export interface PlanItem {
  /** Stable key within the plan, e.g. `step:Delete:appointment`. */
  key: string;
  kind: ItemKind;
  /** What an admin reads, e.g. `Delete of appointment`. */
  label: string;
  action: Action;
  /** The existing row's id (update, unchanged, delete); a created row's id after applyPlan. */
  id: string | null;
  /** Columns that differ (update); never their values, since authvalue is one of them. */
  changes: string[];
  /** Columns to write (create, update). May hold the key: never print it. */
  write?: Values;
  /** The item whose id a create binds to (a step's endpoint, an image's step). */
  parent?: string;
  /** sdkmessage and sdkmessagefilter ids a step is created with. */
  binds?: { message: string; filter: string };
}

export interface Plan {
  items: PlanItem[];
}

export interface RegistrationTarget {
  /** The Dataverse environment URL; it salts the key check. */
  dataverseUrl: string;
  /** The webhook URL, without `?code=`. */
  endpointUrl: string;
  /** The WebhookKey (sent as `?code=`); undefined keeps the registered one. */
  key: string | undefined;
}

export interface EndpointRow {
  serviceendpointid: string;
  name: string | null;
  url: string | null;
  contract: number | null;
  authtype: number | null;
  messageformat: number | null;
  description: string | null;
}

export interface StepRow {
  sdkmessageprocessingstepid: string;
  name: string | null;
  description: string | null;
  stage: number | null;
  mode: number | null;
  rank: number | null;
  supporteddeployment: number | null;
  asyncautodelete: boolean | null;
  filteringattributes: string | null;
  statecode: number | null;
  _sdkmessageid_value: string | null;
  _sdkmessagefilterid_value: string | null;
}

export interface ImageRow {
  sdkmessageprocessingstepimageid: string;
  _sdkmessageprocessingstepid_value: string | null;
  name: string | null;
  entityalias: string | null;
  imagetype: number | null;
  messagepropertyname: string | null;
  attributes: string | null;
}

/** What the org holds of this registration. */
export interface CurrentRegistration {
  endpoint: EndpointRow | null;
  steps: StepRow[];
  images: ImageRow[];
}

/** sdkmessage ids by name and sdkmessagefilter ids by `${message}:${table}`: fixed per org. */
export interface MessageFilters {
  messages: Record<StepMessage, string>;
  filters: Record<string, string>;
}

interface StepSpec {
  key: string;
  message: StepMessage;
  table: TrackedTable;
  label: string;
  values: Values;
  /** Image columns, or null for a step without an image (Create: the Target carries the new record). */
  image: readonly string[] | null;
}

// ---- desired state (data) -------------------------------------------------------------------------

const STEP_PURPOSE: Readonly<Record<StepMessage, string>> = {
  Delete: 'Tells the delete sync that a tracked record was deleted; the pre-image carries its last values.',
  Create: 'Keeps the delete sync\'s snapshot of a tracked record.',
  Update: 'Keeps the delete sync\'s snapshot of a tracked record when a column it reads changes.',
};

function desiredSteps(): StepSpec[] {
  return STEP_MESSAGES.flatMap((message) =>
    TRACKED_TABLES.map((table) => {
      const columns = SNAPSHOT_COLUMNS[table];
      return {
        key: `step:${message}:${table}`,
        message,
        table,
        label: `${message} of ${table}`,
        values: {
          name: `delete-sync: ${message} of ${table}`,
          description: STEP_PURPOSE[message],
          stage: STAGE_POST_OPERATION,
          mode: MODE_ASYNCHRONOUS,
          rank: 1,
          supporteddeployment: DEPLOYMENT_SERVER,
          // Successful System Jobs are removed; failed ones stay for diagnosis.
          asyncautodelete: true,
          // Any change of a contact is the one a deleted owner's copy comes back on (the table's contact row).
          filteringattributes: message === 'Update' && table !== 'contact' ? columns.join(',') : null,
          statecode: 0,
        },
        image: message === 'Create' ? null : columns,
      };
    }),
  );
}

function imageValues(columns: readonly string[]): Values {
  return { name: IMAGE_ALIAS, entityalias: IMAGE_ALIAS, imagetype: IMAGE_TYPE_PRE, messagepropertyname: 'Target', attributes: columns.join(',') };
}

/** Salted with the environment so equal keys in different orgs do not share a check value. */
function keyCheck(key: string, dataverseUrl: string): string {
  return scryptSync(key, `delete-sync:${new URL(dataverseUrl).origin.toLowerCase()}`, 32).toString('base64url');
}

function keyMatches(description: string | null, key: string, dataverseUrl: string): boolean {
  const stored = description?.split(KEY_CHECK_PREFIX)[1]?.trim();
  if (!stored) return false;
  const expected = Buffer.from(keyCheck(key, dataverseUrl));
  const actual = Buffer.from(stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// ---- planning (pure) ------------------------------------------------------------------------------

/** Columns with a different value; comma lists (filteringattributes, attributes) compare as sets. */
function differing(want: Values, have: Record<string, unknown>): string[] {
  return Object.keys(want).filter((column) => {
    const a = want[column] ?? null;
    const b = have[column] ?? null;
    if (column === 'filteringattributes' || column === 'attributes') return canonicalList(a) !== canonicalList(b);
    return a !== b;
  });
}

function canonicalList(value: unknown): string {
  return typeof value === 'string' ? value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).sort().join(',') : '';
}

function itemFor(base: Omit<PlanItem, 'action' | 'id' | 'changes' | 'write'>, want: Values, existing: { id: string; row: Record<string, unknown> } | null): PlanItem {
  if (!existing) return { ...base, action: 'create', id: null, changes: [], write: want };
  const changes = differing(want, existing.row);
  if (changes.length === 0) return { ...base, action: 'unchanged', id: existing.id, changes };
  return { ...base, action: 'update', id: existing.id, changes, write: Object.fromEntries(changes.map((c) => [c, want[c] ?? null])) };
}

function deletion(kind: ItemKind, key: string, label: string, id: string): PlanItem {
  return { key, kind, label, action: 'delete', id, changes: [] };
}

function imagesOf(current: CurrentRegistration, stepId: string): ImageRow[] {
  return current.images.filter((i) => i._sdkmessageprocessingstepid_value?.toLowerCase() === stepId.toLowerCase());
}

function stepLabel(step: StepRow): string {
  return step.name ?? step.sdkmessageprocessingstepid;
}

function endpointItem(target: RegistrationTarget, endpoint: EndpointRow | null): PlanItem {
  const want: Values = {
    name: ENDPOINT_NAME,
    contract: WEBHOOK_CONTRACT,
    authtype: AUTH_WEBHOOK_KEY,
    messageformat: MESSAGE_FORMAT_JSON,
    url: target.endpointUrl,
  };
  if (target.key === undefined) {
    // The stored authvalue is only a WebhookKey if the endpoint already uses WebhookKey authentication.
    if (!endpoint || endpoint.authtype !== AUTH_WEBHOOK_KEY) {
      const why = endpoint ? 'switch the webhook endpoint to WebhookKey authentication' : 'create the webhook endpoint';
      throw new DeleteSyncError('DS_ERR_CONFIG', `A key is needed to ${why}: set DATAVERSE_WEBHOOK_KEY or pass --key`, { field: 'key' });
    }
  } else if (!endpoint || !keyMatches(endpoint.description, target.key, target.dataverseUrl)) {
    want.description = `${ENDPOINT_DESCRIPTION} ${KEY_CHECK_PREFIX}${keyCheck(target.key, target.dataverseUrl)}`;
  }
  const item = itemFor({ key: 'endpoint', kind: 'endpoint', label: ENDPOINT_NAME }, want, endpoint && { id: endpoint.serviceendpointid, row: { ...endpoint } });
  // The key goes with the description that checks it: both or neither.
  if (item.write && 'description' in want && target.key !== undefined) {
    item.write.authvalue = target.key;
    item.write.description = want.description ?? null;
    item.changes = [...new Set([...item.changes, 'authvalue'])];
  }
  return item;
}

/** Create, update or keep every part of the registration; remove steps and images on the endpoint that are not part of it. */
export function planRegistration(target: RegistrationTarget, current: CurrentRegistration, known: MessageFilters): Plan {
  const items: PlanItem[] = [endpointItem(target, current.endpoint)];
  const claimed = new Set<string>();
  for (const spec of desiredSteps()) {
    const message = known.messages[spec.message];
    const filter = known.filters[`${spec.message}:${spec.table}`];
    if (!message || !filter) {
      throw new DeleteSyncError('DS_ERR_UPSTREAM', `Dataverse has no sdkmessagefilter for ${spec.label}`, { field: 'sdkmessagefilter' });
    }
    const step = current.steps.find(
      (s) => !claimed.has(s.sdkmessageprocessingstepid) && s._sdkmessageid_value?.toLowerCase() === message.toLowerCase() && s._sdkmessagefilterid_value?.toLowerCase() === filter.toLowerCase(),
    );
    if (step) claimed.add(step.sdkmessageprocessingstepid);
    items.push({
      ...itemFor({ key: spec.key, kind: 'step', label: spec.label, parent: 'endpoint' }, spec.values, step ? { id: step.sdkmessageprocessingstepid, row: { ...step } } : null),
      binds: { message, filter },
    });
    const existingImages = step ? imagesOf(current, step.sdkmessageprocessingstepid) : [];
    const image = spec.image ? existingImages.find((i) => i.entityalias === IMAGE_ALIAS) : undefined;
    for (const stale of existingImages.filter((i) => i !== image)) {
      items.push(deletion('image', `image:${stale.sdkmessageprocessingstepimageid}`, `${stale.entityalias ?? 'image'} on ${spec.label}`, stale.sdkmessageprocessingstepimageid));
    }
    if (spec.image) {
      const key = `image:${spec.message}:${spec.table}`;
      items.push(itemFor({ key, kind: 'image', label: `${IMAGE_ALIAS} on ${spec.label}`, parent: spec.key }, imageValues(spec.image), image ? { id: image.sdkmessageprocessingstepimageid, row: { ...image } } : null));
    }
  }
  for (const stale of current.steps.filter((s) => !claimed.has(s.sdkmessageprocessingstepid))) items.push(...stepRemoval(current, stale));
  return { items };
}

function stepRemoval(current: CurrentRegistration, step: StepRow): PlanItem[] {
  const id = step.sdkmessageprocessingstepid;
  return [
    ...imagesOf(current, id).map((i) => deletion('image', `image:${i.sdkmessageprocessingstepimageid}`, `${i.entityalias ?? 'image'} on ${stepLabel(step)}`, i.sdkmessageprocessingstepimageid)),
    deletion('step', `step:${id}`, stepLabel(step), id),
  ];
}

/** Images, then steps, then the endpoint: everything this registration put in. Empty when nothing is there. */
export function planRemoval(current: CurrentRegistration): Plan {
  if (!current.endpoint) return { items: [] };
  return {
    items: [
      ...current.steps.flatMap((step) => stepRemoval(current, step)),
      deletion('endpoint', 'endpoint', current.endpoint.name ?? ENDPOINT_NAME, current.endpoint.serviceendpointid),
    ],
  };
}

export function countActions(plan: Plan): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, unchanged: 0, delete: 0 };
  for (const item of plan.items) counts[item.action] += 1;
  return counts;
}

// ---- Dataverse I/O --------------------------------------------------------------------------------

const ENDPOINT_COLUMNS = ['serviceendpointid', 'name', 'url', 'contract', 'authtype', 'messageformat', 'description'];
const STEP_COLUMNS = [
  'sdkmessageprocessingstepid', 'name', 'description', 'stage', 'mode', 'rank', 'supporteddeployment',
  'asyncautodelete', 'filteringattributes', 'statecode', '_sdkmessageid_value', '_sdkmessagefilterid_value',
];
const IMAGE_COLUMNS = ['sdkmessageprocessingstepimageid', '_sdkmessageprocessingstepid_value', 'name', 'entityalias', 'imagetype', 'messagepropertyname', 'attributes'];

const odataString = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const anyOf = (column: string, values: readonly string[]): string => values.map((v) => `${column} eq ${v}`).join(' or ');

/** The endpoint named ENDPOINT_NAME, the steps bound to it and their images. */
export async function readRegistration(client: DataverseClient): Promise<CurrentRegistration> {
  const endpoints = await client.list<EndpointRow>(client.entitySet('serviceendpoint'), { select: ENDPOINT_COLUMNS, filter: `name eq ${odataString(ENDPOINT_NAME)}` });
  if (endpoints.length > 1) {
    throw new DeleteSyncError('DS_ERR_CONFIG', `${endpoints.length} service endpoints are named '${ENDPOINT_NAME}'; unregister the extra ones first`, { field: 'serviceendpoint' });
  }
  const endpoint = endpoints[0] ?? null;
  if (!endpoint) return { endpoint: null, steps: [], images: [] };
  const steps = await client.list<StepRow>(client.entitySet('sdkmessageprocessingstep'), { select: STEP_COLUMNS, filter: `_eventhandler_value eq ${endpoint.serviceendpointid}` });
  const images =
    steps.length === 0
      ? []
      : await client.list<ImageRow>(client.entitySet('sdkmessageprocessingstepimage'), {
          select: IMAGE_COLUMNS,
          filter: anyOf('_sdkmessageprocessingstepid_value', steps.map((s) => s.sdkmessageprocessingstepid)),
        });
  return { endpoint, steps, images };
}

export async function readMessageFilters(client: DataverseClient): Promise<MessageFilters> {
  const rows = await client.list<{ sdkmessageid: string; name: string }>(client.entitySet('sdkmessage'), {
    select: ['sdkmessageid', 'name'],
    filter: anyOf('name', STEP_MESSAGES.map(odataString)),
  });
  const messages = {} as Record<StepMessage, string>;
  for (const row of rows) messages[row.name as StepMessage] = row.sdkmessageid;
  const ids = STEP_MESSAGES.map((m) => messages[m]).filter((id): id is string => id !== undefined);
  const filters: Record<string, string> = {};
  if (ids.length === 0) return { messages, filters };
  const filterRows = await client.list<{ sdkmessagefilterid: string; _sdkmessageid_value: string; primaryobjecttypecode: string }>(client.entitySet('sdkmessagefilter'), {
    select: ['sdkmessagefilterid', '_sdkmessageid_value', 'primaryobjecttypecode'],
    filter: `(${anyOf('_sdkmessageid_value', ids)}) and (${anyOf('primaryobjecttypecode', TRACKED_TABLES.map(odataString))})`,
  });
  for (const row of filterRows) {
    const message = STEP_MESSAGES.find((m) => messages[m]?.toLowerCase() === row._sdkmessageid_value.toLowerCase());
    if (message) filters[`${message}:${row.primaryobjecttypecode}`] = row.sdkmessagefilterid;
  }
  return { messages, filters };
}

function bindings(item: PlanItem, ids: ReadonlyMap<string, string>, client: DataverseClient): Record<string, string> {
  const parentId = item.parent ? ids.get(item.parent) : undefined;
  if (item.kind === 'step' && item.binds && parentId) {
    return {
      'eventhandler_serviceendpoint@odata.bind': `/${client.entitySet('serviceendpoint')}(${parentId})`,
      'sdkmessageid@odata.bind': `/${client.entitySet('sdkmessage')}(${item.binds.message})`,
      'sdkmessagefilterid@odata.bind': `/${client.entitySet('sdkmessagefilter')}(${item.binds.filter})`,
    };
  }
  if (item.kind === 'image' && parentId) return { 'sdkmessageprocessingstepid@odata.bind': `/${client.entitySet('sdkmessageprocessingstep')}(${parentId})` };
  if (item.kind === 'endpoint') return {};
  throw new DeleteSyncError('DS_ERR_INTERNAL', `Plan item ${item.key} has no ${item.parent ?? 'parent'} to bind to`);
}

const SET_OF: Readonly<Record<ItemKind, string>> = { endpoint: 'serviceendpoint', step: 'sdkmessageprocessingstep', image: 'sdkmessageprocessingstepimage' };

/** Carries out a plan in order; returns it with the ids of created rows filled in. */
export async function applyPlan(client: DataverseClient, plan: Plan): Promise<Plan> {
  const ids = new Map<string, string>();
  const done: PlanItem[] = [];
  for (const item of plan.items) {
    const set = client.entitySet(SET_OF[item.kind]);
    let id = item.id;
    if (item.action === 'create') {
      // A new step starts enabled; statecode is not a create column.
      const { statecode: _enabled, ...values } = item.write ?? {};
      id = await client.create(set, { ...values, ...bindings(item, ids, client) });
    } else if (item.action === 'update' && id) {
      const write = { ...item.write };
      if (item.kind === 'step' && 'statecode' in write) write.statuscode = write.statecode === 0 ? 1 : 2;
      await client.update(set, id, write);
    } else if (item.action === 'delete' && id) {
      await client.delete(set, id);
    }
    if (id) ids.set(item.key, id);
    done.push({ ...item, id });
  }
  return { items: done };
}
