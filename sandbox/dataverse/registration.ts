/**
 * Plug-in registration as the platform checks it: the service endpoint, step and image rows a client
 * writes are validated like Dataverse validates them, and the steps that fire for a message on a table
 * are found from them (enabled, bound to a webhook endpoint, matching filter and filtering attributes).
 */
import { randomUUID } from 'node:crypto';
import { badRequest, DV_CODE } from './errors.js';
import { EVENT_TABLES } from './schema.js';
import { isRef, type Row, type Store } from './store.js';
import { AUTH_TYPE, WEBHOOK_CONTRACT } from './webhooks.js';

export type EventMessage = 'Create' | 'Update' | 'Delete';
export const EVENT_MESSAGES: readonly EventMessage[] = ['Create', 'Update', 'Delete'];
const OTHER_MESSAGES = ['Retrieve', 'RetrieveMultiple', 'Assign', 'SetState'];

export interface RegisteredStep {
  step: Row;
  endpoint: Row;
  images: Row[];
}

/** Seeds sdkmessages and one sdkmessagefilter per message × event table, as every org has them. */
export function seedMessages(store: Store, now: number): Record<EventMessage, string> {
  const ids = {} as Record<EventMessage, string>;
  for (const name of [...EVENT_MESSAGES, ...OTHER_MESSAGES]) {
    const id = randomUUID();
    store.put('sdkmessage', id, { sdkmessageid: id, name, createdon: now, modifiedon: now, versionnumber: 1 });
    if ((EVENT_MESSAGES as readonly string[]).includes(name)) ids[name as EventMessage] = id;
    for (const entity of EVENT_TABLES) {
      const filterId = randomUUID();
      store.put('sdkmessagefilter', filterId, {
        sdkmessagefilterid: filterId,
        sdkmessageid: { logicalName: 'sdkmessage', id },
        primaryobjecttypecode: entity,
        secondaryobjecttypecode: 'none',
        iscustomprocessingstepallowed: true,
        createdon: now,
        modifiedon: now,
        versionnumber: 1,
      });
    }
  }
  return ids;
}

function invalid(message: string): never {
  throw badRequest(message, DV_CODE.invalidArgument);
}

function messageName(store: Store, step: Row): string | undefined {
  const ref = step.sdkmessageid;
  return isRef(ref) ? (store.get('sdkmessage', ref.id)?.name as string | undefined) : undefined;
}

export function validateServiceEndpoint(row: Row): void {
  if (row.contract !== WEBHOOK_CONTRACT) return;
  if (typeof row.url !== 'string' || !/^https?:\/\//.test(row.url)) invalid('A webhook service endpoint needs an absolute http(s) url.');
  const authTypes: number[] = Object.values(AUTH_TYPE);
  if (!authTypes.includes(row.authtype as number)) invalid('A webhook service endpoint supports authtype WebhookKey (4), HttpHeader (5) or HttpQueryString (6).');
  if (typeof row.authvalue !== 'string' || row.authvalue === '') invalid('A webhook service endpoint needs an authvalue.');
  if (row.messageformat !== undefined && row.messageformat !== null && row.messageformat !== 2) invalid('A webhook service endpoint sends JSON: messageformat must be 2.');
}

export function validateStep(store: Store, row: Row): void {
  if (!isRef(row.eventhandler)) invalid('sdkmessageprocessingstep.eventhandler is required.');
  if (!isRef(row.sdkmessageid)) invalid('sdkmessageprocessingstep.sdkmessageid is required.');
  if (![10, 20, 40].includes(row.stage as number)) invalid(`Invalid stage ${String(row.stage)}: use 10, 20 or 40.`);
  if (row.mode === 1 && row.stage !== 40) invalid('Asynchronous steps can only be registered in the PostOperation stage (40).');
  if (row.asyncautodelete === true && row.mode !== 1) invalid('asyncautodelete applies to asynchronous steps only.');
  const filter = isRef(row.sdkmessagefilterid) ? store.get('sdkmessagefilter', row.sdkmessagefilterid.id) : undefined;
  if (filter && (!isRef(filter.sdkmessageid) || filter.sdkmessageid.id !== row.sdkmessageid.id)) {
    invalid('The sdkmessagefilter does not belong to the step\'s sdkmessage.');
  }
}

export function validateImage(store: Store, row: Row): void {
  const stepRef = row.sdkmessageprocessingstepid;
  const step = isRef(stepRef) ? store.get('sdkmessageprocessingstep', stepRef.id) : undefined;
  if (!step) invalid('sdkmessageprocessingstepimage.sdkmessageprocessingstepid is required.');
  if (typeof row.entityalias !== 'string' || row.entityalias === '') invalid('sdkmessageprocessingstepimage.entityalias is required.');
  if (![0, 1, 2].includes(row.imagetype as number)) invalid('imagetype must be 0 (PreImage), 1 (PostImage) or 2 (Both).');
  const message = messageName(store, step);
  if (message === 'Create' && row.imagetype !== 1) invalid('A Create step cannot have a pre-image: the record does not exist yet.');
  if (message === 'Delete' && row.imagetype !== 0) invalid('A Delete step cannot have a post-image: the record no longer exists.');
  const expected = message === 'Create' ? 'Id' : 'Target';
  if (row.messagepropertyname !== expected) invalid(`messagepropertyname must be '${expected}' for a ${message} step.`);
}

/** The enabled webhook steps for `message` on `entity`, lowest rank first. */
export function stepsFor(store: Store, messageId: string, entity: string, changed: string[] | undefined): RegisteredStep[] {
  const found: RegisteredStep[] = [];
  for (const step of store.rows('sdkmessageprocessingstep')) {
    if (step.statecode !== 0 || !isRef(step.sdkmessageid) || step.sdkmessageid.id !== messageId) continue;
    const filter = isRef(step.sdkmessagefilterid) ? store.get('sdkmessagefilter', step.sdkmessagefilterid.id) : undefined;
    if (filter?.primaryobjecttypecode !== entity) continue;
    if (!isRef(step.eventhandler) || step.eventhandler.logicalName !== 'serviceendpoint') continue;
    const endpoint = store.get('serviceendpoint', step.eventhandler.id);
    if (!endpoint || endpoint.contract !== WEBHOOK_CONTRACT) continue;
    const filtering = typeof step.filteringattributes === 'string' ? step.filteringattributes.split(',').map((s) => s.trim()).filter(Boolean) : [];
    if (changed && filtering.length > 0 && !filtering.some((f) => changed.includes(f))) continue;
    const stepId = String(step.sdkmessageprocessingstepid);
    const images = store.rows('sdkmessageprocessingstepimage').filter((i) => isRef(i.sdkmessageprocessingstepid) && i.sdkmessageprocessingstepid.id === stepId);
    found.push({ step, endpoint, images });
  }
  return found.sort((a, b) => Number(a.step.rank ?? 1) - Number(b.step.rank ?? 1));
}
