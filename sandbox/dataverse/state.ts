/**
 * The Dataverse org in memory and what happens in it: records created, updated and deleted through the
 * Web API or by simulated users, each running the registered steps (synchronous ones inside the
 * operation, asynchronous ones after it as System Jobs), privilege checks as the platform makes them,
 * and every delete written to the shared delete log. Tests act and assert through the methods here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DeleteLog } from '../delete-log.js';
import type { Directory, DirectoryUser } from '../directory.js';
import { DataverseFault, DV_CODE, privilegeDenied, recordAccessDenied, recordNotFound } from './errors.js';
import { seedMessages, stepsFor, validateImage, validateServiceEndpoint, validateStep, type EventMessage, type RegisteredStep } from './registration.js';
import { remoteExecutionContext, type EntityImageInput, type Principal } from './remote-context.js';
import { addMonths, occurrenceStarts, withDeletedException, type SeriesPattern } from './recurrence.js';
import { PARTY_MASK, tableByLogicalName, type TableDef } from './schema.js';
import { ACT_ON_BEHALF, Security } from './security.js';
import { isRef, Store, type Cell, type EntityRef, type RecordSnapshot, type Row } from './store.js';
import { WebhookDispatcher, type DeliveryRecord, type WebhookSettings } from './webhooks.js';
import type { ParsedBody, PartyInput } from './webapi-json.js';

/** One Web API call the sandbox answered, for recording hooks (conformance checks). */
export interface DataverseExchange {
  request: { method: string; url: string; headers: Record<string, string>; body: string };
  response: { status: number; headers: Record<string, string>; body?: unknown } | 'drop';
}

/** Who an operation runs as, and who asked for it. */
export interface Actor {
  /** The user the operation runs as (impersonated one, or the caller itself). */
  user: DirectoryUser;
  /** The principal that sent the request (the application user when it impersonated). */
  initiating: DirectoryUser;
  /** For the delete log: `app:<clientId>` or `user:<Entra object id>`. */
  caller: string;
  via: 'api' | 'user';
}

export interface DataverseStateOptions {
  url: string;
  directory: Directory;
  clock: () => number;
  log: DeleteLog;
  webhooks?: Partial<WebhookSettings>;
  /** Organization.FutureExpansionWindow: months of instances materialised ahead (default undocumented; 3 here). */
  futureExpansionWindowMonths?: number;
}

export interface RecurringAppointmentInput {
  id?: string;
  subject: string;
  /** Start of the first occurrence. */
  firstStart: number | Date;
  durationMinutes: number;
  pattern: Omit<SeriesPattern, 'patternenddate'> & { patternenddate?: number | Date };
  /** 0 Open, 1 Completed, 2 Canceled, 3 Scheduled. */
  statecode?: number;
  organizer: PartyRef;
  requiredAttendees?: PartyRef[];
  optionalAttendees?: PartyRef[];
  globalobjectid?: string;
}

/** A party in a test action: a record (systemuser, contact, account) or a bare address. */
export type PartyRef = EntityRef | { address: string };

export interface AppointmentInput {
  id?: string;
  subject: string;
  start: number | Date;
  end: number | Date;
  /** 0 Open, 1 Completed, 2 Canceled, 3 Scheduled. */
  statecode?: number;
  statuscode?: number;
  /** systemuserid; defaults to the organizer when the organizer is a user. */
  ownerId?: string;
  organizer: PartyRef;
  requiredAttendees?: PartyRef[];
  optionalAttendees?: PartyRef[];
  globalobjectid?: string;
  instancetypecode?: number;
  regarding?: EntityRef;
  location?: string;
}

export interface TaskInput {
  id?: string;
  subject: string;
  ownerId: string;
  statecode?: number;
  statuscode?: number;
  due?: number | Date;
  regarding?: EntityRef;
}

export interface EmailInput {
  id?: string;
  subject: string;
  ownerId: string;
  messageid?: string;
  statecode?: number;
  statuscode?: number;
  from: PartyRef;
  to: PartyRef[];
  cc?: PartyRef[];
  directioncode?: boolean;
}

export interface ContactInput {
  id?: string;
  firstname?: string;
  lastname: string;
  emailaddress1?: string;
  ownerId: string;
  statecode?: number;
}

const ACCESS_RIGHTS = ['ReadAccess', 'WriteAccess', 'AppendAccess', 'AppendToAccess', 'CreateAccess', 'DeleteAccess', 'ShareAccess', 'AssignAccess'];

function ms(value: number | Date): number {
  return typeof value === 'number' ? value : value.getTime();
}

function toPartyInput(ref: PartyRef, mask: number): PartyInput {
  return 'address' in ref
    ? { partyid: null, addressused: ref.address, participationtypemask: mask }
    : { partyid: { logicalName: ref.logicalName, id: ref.id.toLowerCase() }, addressused: null, participationtypemask: mask };
}

function tableOrThrow(logicalName: string): TableDef {
  const table = tableByLogicalName(logicalName);
  if (!table) throw new DataverseFault(404, DV_CODE.odata, `Resource not found for the segment '${logicalName}'.`);
  return table;
}

/**
 * The columns the platform sets on a write, limited to those the table has: serviceendpoint, for one,
 * has no versionnumber (its table reference lists none), so it gets no row version and no ETag.
 */
function platformColumns(table: TableDef, actor: Actor, now: number, version: number, created: boolean): Row {
  const user = { logicalName: 'systemuser', id: actor.user.systemUserId };
  const stamps: Row = {
    ...(created ? { createdon: now, createdby: user } : {}),
    modifiedon: now,
    modifiedby: user,
    modifiedonbehalfby: actor.initiating === actor.user ? null : { logicalName: 'systemuser', id: actor.initiating.systemUserId },
    versionnumber: version,
  };
  return Object.fromEntries(Object.entries(stamps).filter(([column]) => column in table.columns));
}

export class DataverseState {
  readonly store = new Store();
  /** Security roles: tests change a user's privileges and depths here. */
  readonly security = new Security();
  readonly organization: { id: string; name: string; businessUnitId: string };
  readonly webhooks: WebhookDispatcher;
  readonly messageIds: Record<EventMessage, string>;
  private readonly directory: Directory;
  private readonly clock: () => number;
  private readonly log: DeleteLog;
  private readonly host: string;
  private readonly recorders = new Set<(exchange: DataverseExchange) => void>();
  private readonly futureExpansionWindowMonths: number;

  constructor(options: DataverseStateOptions) {
    this.futureExpansionWindowMonths = options.futureExpansionWindowMonths ?? 3;
    this.directory = options.directory;
    this.clock = options.clock;
    this.log = options.log;
    this.host = new URL(options.url).host;
    this.organization = { id: randomUUID(), name: `unq${randomBytes(16).toString('hex')}`, businessUnitId: randomUUID() };
    this.webhooks = new WebhookDispatcher(this.store, { timeoutMs: 60_000, retryDelayMs: 50, asyncDelayMs: 5, ...options.webhooks }, this.clock);
    this.messageIds = seedMessages(this.store, this.clock());
  }

  /** Calls `listener` with every Web API call answered from now on; returns the function that stops it. */
  record(listener: (exchange: DataverseExchange) => void): () => void {
    this.recorders.add(listener);
    return () => this.recorders.delete(listener);
  }

  /** The server reports each answered call here. */
  recordExchange(exchange: DataverseExchange): void {
    for (const listener of this.recorders) listener(exchange);
  }

  // ---- reads ------------------------------------------------------------------------------------

  rows(table: TableDef): Row[] {
    return table.logicalName === 'systemuser' ? this.directory.all().map((u) => this.userRow(u)) : this.store.rows(table.logicalName);
  }

  find(table: TableDef, id: string): Row | undefined {
    if (table.logicalName === 'systemuser') {
      const user = this.userBySystemId(id);
      return user ? this.userRow(user) : undefined;
    }
    return this.store.get(table.logicalName, id);
  }

  retrieve(table: TableDef, id: string): Row {
    const row = this.find(table, id);
    if (!row) throw recordNotFound(table.logicalName, id);
    return row;
  }

  parties(activityId: string): Row[] {
    return this.store.parties(activityId);
  }

  /** The display name Dataverse shows for a reference (FormattedValue, EntityReference.Name). */
  nameOf = (ref: EntityRef): string | null => {
    const table = tableByLogicalName(ref.logicalName);
    if (!table?.primaryName) return null;
    const row = this.find(table, ref.id);
    const name = row?.[table.primaryName];
    return typeof name === 'string' ? name : null;
  };

  private userBySystemId(systemUserId: string): DirectoryUser | undefined {
    const key = systemUserId.toLowerCase();
    return this.directory.all().find((u) => u.systemUserId.toLowerCase() === key);
  }

  private userRow(user: DirectoryUser): Row {
    return {
      systemuserid: user.systemUserId.toLowerCase(),
      azureactivedirectoryobjectid: user.id.toLowerCase(),
      internalemailaddress: user.isApplicationUser ? null : user.mail,
      domainname: user.userPrincipalName,
      fullname: user.displayName,
      isdisabled: false,
      accessmode: user.isApplicationUser ? 4 : 0,
    };
  }

  // ---- security ---------------------------------------------------------------------------------

  /** The actor for a Web API request: the app's own user, or the user it impersonates by CallerObjectId. */
  actorFor(servicePrincipalId: string, clientId: string, callerObjectId: string | undefined): Actor {
    const app = this.directory.all().find((u) => u.id.toLowerCase() === servicePrincipalId.toLowerCase());
    if (!app) throw new DataverseFault(403, DV_CODE.notMemberOfOrganization, 'The user is not a member of the organization.');
    const base = { initiating: app, caller: `app:${clientId}`, via: 'api' as const };
    if (!callerObjectId) return { ...base, user: app };
    // The code for a missing prvActOnBehalfOfAnotherUser is undocumented: modelled as PrivilegeDenied naming it.
    if (!this.security.mayImpersonate(app)) throw privilegeDenied(app.systemUserId, ACT_ON_BEHALF);
    const user = this.directory.all().find((u) => u.id.toLowerCase() === callerObjectId.trim().toLowerCase());
    if (!user) {
      throw new DataverseFault(
        403,
        DV_CODE.notMemberOfOrganization,
        `The user with azureactivedirectoryobjectid ${callerObjectId} is not a member of the organization.`,
      );
    }
    return { ...base, user, caller: `user:${user.id}` };
  }

  /** A person acting in the CRM UI (not through the service). */
  userActor(systemUserId: string): Actor {
    const user = this.userBySystemId(systemUserId);
    if (!user) throw recordNotFound('systemuser', systemUserId);
    return { user, initiating: user, caller: `user:${user.id}`, via: 'user' };
  }

  private ownerOf(row: Row): string | null {
    return isRef(row.ownerid) && row.ownerid.logicalName === 'systemuser' ? row.ownerid.id : null;
  }

  /** Whether `user`'s Delete privilege, at its depth, reaches the row. */
  private canDelete(user: DirectoryUser, table: TableDef, row: Row): boolean {
    return !table.deletePrivilege || this.security.reaches(user, table.deletePrivilege, this.ownerOf(row));
  }

  /**
   * The platform's Delete checks: the privilege first (0x80040220), then its depth (0x80048306), for the
   * caller and, under impersonation, for the application user too. The message names the user the
   * request runs as even when the application user is the one lacking (as observed on real tenants),
   * so a client cannot tell the two apart from the error alone.
   */
  private assertDelete(actor: Actor, table: TableDef, row: Row, id: string): void {
    const privilege = table.deletePrivilege;
    if (!privilege) return;
    const principals = actor.initiating === actor.user ? [actor.user] : [actor.initiating, actor.user];
    if (principals.some((p) => !this.security.holds(p, privilege))) {
      throw privilegeDenied(actor.user.systemUserId, privilege, ` on OTC=${table.objectTypeCode} for entity '${table.logicalName}'`);
    }
    if (principals.some((p) => !this.canDelete(p, table, row))) throw recordAccessDenied(actor.user.systemUserId, 'DeleteAccess', table.logicalName, id);
  }

  /** The privilege check of a read: the caller and, under impersonation, the application user must hold Read. */
  assertRead(actor: Actor, table: TableDef): void {
    const privilege = table.readPrivilege;
    if (!privilege) return;
    const principals = actor.initiating === actor.user ? [actor.user] : [actor.initiating, actor.user];
    if (principals.some((p) => !this.security.holds(p, privilege))) {
      throw privilegeDenied(actor.user.systemUserId, privilege, ` on OTC=${table.objectTypeCode} for entity '${table.logicalName}'`);
    }
  }

  /**
   * The access check of a read, after the privilege check: Read's depth must reach the row, for the
   * caller and, under impersonation, the application user (Learn: How access to a record is determined).
   */
  canRead(actor: Actor, table: TableDef, row: Row): boolean {
    const privilege = table.readPrivilege;
    if (!privilege) return true;
    const principals = actor.initiating === actor.user ? [actor.user] : [actor.initiating, actor.user];
    return principals.every((p) => this.security.reaches(p, privilege, this.ownerOf(row)));
  }

  /** A single-record read: the row, or 0x80048306 when Read's depth does not reach it. */
  retrieveAs(actor: Actor, table: TableDef, id: string): Row {
    const row = this.retrieve(table, id);
    if (!this.canRead(actor, table, row)) throw recordAccessDenied(actor.user.systemUserId, 'ReadAccess', table.logicalName, id);
    return row;
  }

  /** A collection read: only the rows Read's depth reaches; the others are left out, not refused. */
  rowsAs(actor: Actor, table: TableDef): Row[] {
    return this.rows(table).filter((row) => this.canRead(actor, table, row));
  }

  /** RetrievePrincipalAccess: the rights `systemUserId` holds on the record (ReadAccess, DeleteAccess only when that privilege's depth reaches it). */
  accessRights(systemUserId: string, table: TableDef, id: string): string[] {
    const user = this.userBySystemId(systemUserId);
    if (!user) throw recordNotFound('systemuser', systemUserId);
    const row = this.retrieve(table, id);
    const readable = !table.readPrivilege || this.security.reaches(user, table.readPrivilege, this.ownerOf(row));
    return ACCESS_RIGHTS.filter((right) => (right === 'DeleteAccess' ? this.canDelete(user, table, row) : right !== 'ReadAccess' || readable));
  }

  /** RetrieveUserPrivileges: what the user holds through their roles and their teams. */
  userPrivileges(systemUserId: string): ReturnType<Security['rolePrivileges']> {
    const user = this.userBySystemId(systemUserId);
    if (!user) throw recordNotFound('systemuser', systemUserId);
    return this.security.rolePrivileges(user, this.organization.businessUnitId);
  }

  // ---- operations -------------------------------------------------------------------------------

  async create(actor: Actor, table: TableDef, body: ParsedBody, requestedId?: string): Promise<string> {
    this.assertWritable(table);
    const supplied = body.values[table.primaryId];
    const id = (requestedId ?? (typeof supplied === 'string' ? supplied : randomUUID())).toLowerCase();
    if (this.store.get(table.logicalName, id)) {
      throw new DataverseFault(412, DV_CODE.duplicateRecord, 'A record with matching key values already exists.');
    }
    const now = this.clock();
    const row: Row = {};
    for (const [name, def] of Object.entries(table.columns)) if (def.kind !== 'partylist') row[name] = null;
    Object.assign(row, body.values, { [table.primaryId]: id }, platformColumns(table, actor, now, 1, true));
    if ('ownerid' in table.columns) {
      row.ownerid ??= { logicalName: 'systemuser', id: actor.user.systemUserId };
      row.owningbusinessunit = { logicalName: 'businessunit', id: this.organization.businessUnitId };
    }
    if (table.isActivity) row.activitytypecode = table.logicalName;
    this.applyStateDefaults(table, row);
    this.deriveColumns(table, row);
    this.validateRow(table, row);
    const parties = table.isActivity ? this.partyRows(id, row, body.parties ?? []) : undefined;
    await this.execute(actor, 'Create', table, id, [...Object.keys(body.values), ...(body.parties ? this.partyColumns(table) : [])], () => {
      this.store.put(table.logicalName, id, row);
      if (parties) this.store.replaceParties(id, parties);
    });
    return id;
  }

  async update(actor: Actor, table: TableDef, id: string, body: ParsedBody): Promise<void> {
    this.assertWritable(table);
    const existing = this.retrieve(table, id);
    const row: Row = { ...existing, ...body.values };
    row[table.primaryId] = existing[table.primaryId] as Cell;
    Object.assign(row, platformColumns(table, actor, this.clock(), Number(existing.versionnumber ?? 0) + 1, false));
    if ('statecode' in body.values && !('statuscode' in body.values)) row.statuscode = null;
    this.applyStateDefaults(table, row);
    this.deriveColumns(table, row);
    this.validateRow(table, row);
    // A state change without a status gets the default status; the platform's Target carries both.
    const derived = 'statecode' in body.values && !('statuscode' in body.values) ? ['statuscode'] : [];
    const changed = [...Object.keys(body.values), ...derived, ...(body.parties ? this.partyColumns(table) : [])];
    const parties = table.isActivity && (body.parties || 'ownerid' in body.values) ? this.partyRows(id, row, body.parties ?? this.nonOwnerParties(id)) : undefined;
    await this.execute(actor, 'Update', table, id, changed, () => {
      this.store.put(table.logicalName, id, row);
      if (parties) this.store.replaceParties(id, parties);
    });
  }

  async delete(actor: Actor, table: TableDef, id: string): Promise<void> {
    let status = 204;
    try {
      this.assertWritable(table);
      this.assertDelete(actor, table, this.retrieve(table, id), id);
      await this.execute(actor, 'Delete', table, id, undefined, () => {
        this.recordSeriesEffects(table, id);
        this.store.remove(table.logicalName, id);
        if (table.isActivity) this.store.replaceParties(id, []);
      });
    } catch (error) {
      status = error instanceof DataverseFault ? error.status : 500;
      throw error;
    } finally {
      this.log.append({ at: this.clock(), side: 'dataverse', scope: table.logicalName, kind: table.logicalName, id: id.toLowerCase(), caller: actor.caller, via: actor.via, status });
    }
  }

  /**
   * A series master's delete cascades to all its instances, past ones included (recurringappointmentmaster_appointment:
   * Delete Cascade). Whether Delete steps on appointment run for them is undocumented: here they do not, and the
   * cascaded rows are not requests, so they are not in the delete log. An instance's delete is recorded on its master.
   */
  private recordSeriesEffects(table: TableDef, id: string): void {
    if (table.logicalName === 'recurringappointmentmaster') {
      for (const instance of this.instancesOf(id)) {
        this.store.remove('appointment', instance.activityid as string);
        this.store.replaceParties(instance.activityid as string, []);
      }
      return;
    }
    const row = table.logicalName === 'appointment' ? this.store.get('appointment', id) : undefined;
    const series = row && typeof row.seriesid === 'string' ? this.store.get('recurringappointmentmaster', row.seriesid) : undefined;
    if (row && series) {
      const updated = { ...series, deletedexceptionslist: withDeletedException(series.deletedexceptionslist, row.originalstartdate as number) };
      this.store.put('recurringappointmentmaster', series.activityid as string, updated);
    }
  }

  /** The appointment rows of a series. */
  instancesOf(seriesId: string): Row[] {
    const key = seriesId.toLowerCase();
    return this.store.rows('appointment').filter((row) => typeof row.seriesid === 'string' && row.seriesid.toLowerCase() === key);
  }

  /**
   * Materialises a series' instances up to the future expansion window, as the platform's expansion does
   * (the first ones synchronously, the rest by its async job; here all at once). Instances already there
   * and deleted ones (deletedexceptionslist) are not made again. Instance Create steps are not run (undocumented).
   */
  expandSeries(seriesId: string): string[] {
    const master = this.store.get('recurringappointmentmaster', seriesId);
    if (!master) throw recordNotFound('recurringappointmentmaster', seriesId);
    const until = addMonths(this.clock(), this.futureExpansionWindowMonths);
    const all = occurrenceStarts(master, until);
    const deleted = new Set(String(master.deletedexceptionslist ?? '').split(',').filter(Boolean).map((iso) => Date.parse(iso)));
    const existing = new Set(this.instancesOf(seriesId).map((row) => row.originalstartdate as number));
    const durationMs = Number(master.duration ?? 0) * 60_000;
    const made: string[] = [];
    for (const start of all.filter((s) => s <= until && !deleted.has(s) && !existing.has(s))) {
      const id = randomUUID();
      const row: Row = {};
      for (const [name, def] of Object.entries(tableOrThrow('appointment').columns)) if (def.kind !== 'partylist') row[name] = null;
      Object.assign(row, {
        activityid: id,
        subject: master.subject,
        scheduledstart: start,
        scheduledend: start + durationMs,
        statecode: master.statecode,
        statuscode: master.statuscode,
        ownerid: master.ownerid,
        owningbusinessunit: master.owningbusinessunit,
        instancetypecode: 2,
        seriesid: seriesId.toLowerCase(),
        originalstartdate: start,
        activitytypecode: 'appointment',
        createdon: this.clock(),
        modifiedon: this.clock(),
        createdby: master.createdby,
        modifiedby: master.modifiedby,
        versionnumber: 1,
      });
      this.store.put('appointment', id, row);
      this.store.replaceParties(
        id,
        this.store.parties(seriesId).map((p) => ({ ...p, activitypartyid: randomUUID(), activityid: { logicalName: 'activitypointer', id } })),
      );
      made.push(id);
    }
    const expandedTo = all.filter((s) => s <= until).at(-1) ?? null;
    const full = all.every((s) => s <= until);
    this.store.put('recurringappointmentmaster', seriesId, {
      ...master,
      expansionstatecode: full ? 2 : 1,
      lastexpandedinstancedate: expandedTo,
      nextexpansioninstancedate: all.find((s) => s > until) ?? null,
      effectivestartdate: all[0] ?? null,
      effectiveenddate: full ? (all.at(-1) ?? null) : null,
      scheduledstart: all[0] ?? null,
      scheduledend: all[0] === undefined ? null : all[0] + durationMs,
    });
    return made;
  }

  private assertWritable(table: TableDef): void {
    if (table.readOnlyTable) {
      throw new DataverseFault(405, DV_CODE.invalidArgument, `The '${table.logicalName}' table cannot be written through this endpoint.`);
    }
  }

  private applyStateDefaults(table: TableDef, row: Row): void {
    if (!table.defaultStatus || !('statecode' in table.columns)) return;
    if (typeof row.statecode !== 'number') row.statecode = 0;
    const statecode = row.statecode as number;
    if (!(statecode in table.defaultStatus)) {
      throw new DataverseFault(400, DV_CODE.invalidArgument, `${statecode} is not a valid state code on ${table.logicalName}.`);
    }
    if (typeof row.statuscode !== 'number') row.statuscode = table.defaultStatus[statecode] as number;
  }

  private deriveColumns(table: TableDef, row: Row): void {
    if (table.logicalName === 'contact') row.fullname = [row.firstname, row.lastname].filter((s) => typeof s === 'string' && s).join(' ');
  }

  /** Lookups must point at rows that exist, as Dataverse's foreign keys require. */
  private validateRow(table: TableDef, row: Row): void {
    for (const [name, def] of Object.entries(table.columns)) {
      const value = row[name];
      if (def.kind !== 'lookup' || !isRef(value) || def.readOnly) continue;
      const target = tableByLogicalName(value.logicalName);
      if (target && !this.find(target, value.id)) throw recordNotFound(value.logicalName, value.id);
    }
    if (table.logicalName === 'serviceendpoint') validateServiceEndpoint(row);
    if (table.logicalName === 'sdkmessageprocessingstep') validateStep(this.store, row);
    if (table.logicalName === 'sdkmessageprocessingstepimage') validateImage(this.store, row);
  }

  private partyColumns(table: TableDef): string[] {
    return Object.entries(table.columns).filter(([, c]) => c.kind === 'partylist').map(([n]) => n);
  }

  private nonOwnerParties(activityId: string): PartyInput[] {
    return this.store
      .parties(activityId)
      .filter((p) => p.participationtypemask !== PARTY_MASK.owner)
      .map((p) => ({
        partyid: isRef(p.partyid) ? p.partyid : null,
        participationtypemask: p.participationtypemask as number,
        addressused: (p.addressused as string | null) ?? null,
      }));
  }

  /** Party rows for an activity, with the owner party (mask 9) the platform adds itself. */
  private partyRows(activityId: string, row: Row, inputs: PartyInput[]): Row[] {
    const owner = isRef(row.ownerid) ? [{ partyid: row.ownerid, participationtypemask: PARTY_MASK.owner, addressused: null }] : [];
    return [...inputs.filter((p) => p.participationtypemask !== PARTY_MASK.owner), ...owner].map((p) => {
      if (p.partyid) {
        const target = tableByLogicalName(p.partyid.logicalName);
        if (!target || !this.find(target, p.partyid.id)) throw recordNotFound(p.partyid.logicalName, p.partyid.id);
      }
      const partyId = randomUUID();
      return {
        activitypartyid: partyId,
        activityid: { logicalName: 'activitypointer', id: activityId },
        partyid: p.partyid,
        participationtypemask: p.participationtypemask,
        addressused: p.addressused ?? (p.partyid?.logicalName === 'systemuser' ? (this.userBySystemId(p.partyid.id)?.mail ?? null) : null),
        ispartydeleted: false,
      };
    });
  }

  /**
   * Runs one operation through the pipeline: apply, then the synchronous steps (a failure puts the
   * record back and fails the request), then queue the asynchronous steps once it has committed.
   */
  private async execute(actor: Actor, message: EventMessage, table: TableDef, id: string, changed: string[] | undefined, apply: () => void): Promise<void> {
    const before = this.store.snapshot(table.logicalName, id);
    apply();
    const after = this.store.snapshot(table.logicalName, id);
    const messageId = this.messageIds[message];
    const steps = stepsFor(this.store, messageId, table.logicalName, message === 'Update' ? changed : undefined);
    const operation = { operationId: randomUUID(), requestId: randomUUID(), correlationId: randomUUID(), at: this.clock() };
    const dispatch = (registered: RegisteredStep, mode: 0 | 1) => ({
      step: registered.step,
      endpoint: registered.endpoint,
      organizationHost: this.host,
      context: this.contextFor(actor, message, table, id, changed, before, after, registered, mode, operation),
    });
    try {
      for (const registered of steps.filter((s) => s.step.mode !== 1)) await this.webhooks.deliverSync(dispatch(registered, 0));
    } catch (error) {
      this.store.restore(before);
      throw error;
    }
    for (const registered of steps.filter((s) => s.step.mode === 1)) this.webhooks.enqueueAsync(dispatch(registered, 1));
  }

  private image(table: TableDef, id: string, snapshot: RecordSnapshot, attributes: string | null): EntityImageInput {
    const source = snapshot.row ?? {};
    const names = attributes ? attributes.split(',').map((s) => s.trim()).filter((n) => n in table.columns) : Object.keys(table.columns);
    const row: Row = {};
    for (const name of names) row[name] = table.columns[name]?.kind === 'partylist' ? null : (source[name] ?? null);
    return { table, id, row, parties: snapshot.parties, partyDef: tableOrThrow('activityparty') };
  }

  private contextFor(
    actor: Actor,
    message: EventMessage,
    table: TableDef,
    id: string,
    changed: string[] | undefined,
    before: RecordSnapshot,
    after: RecordSnapshot,
    registered: RegisteredStep,
    mode: 0 | 1,
    operation: { operationId: string; requestId: string; correlationId: string; at: number },
  ): Record<string, unknown> {
    const principal = (u: DirectoryUser): Principal => ({ systemUserId: u.systemUserId, aadObjectId: u.id });
    const alias = (i: Row): string => String(i.entityalias);
    const pre = registered.images.filter((i) => i.imagetype === 0 || i.imagetype === 2);
    const post = registered.images.filter((i) => i.imagetype === 1 || i.imagetype === 2);
    const postImages = post.map((i) => ({ alias: alias(i), image: this.image(table, id, after, (i.attributes as string | null) ?? null) }));
    if (mode === 1 && message !== 'Delete' && table.primaryName) {
      // The platform adds this image to asynchronous Create/Update steps itself.
      postImages.push({ alias: 'AsynchronousStepPrimaryName', image: this.image(table, id, after, `${table.primaryName},${table.primaryId}`) });
    }
    let target: EntityImageInput | undefined;
    if (message !== 'Delete') {
      const names = message === 'Create' ? Object.keys(after.row ?? {}) : [...new Set([...(changed ?? []), table.primaryId, 'modifiedon', 'modifiedby', 'modifiedonbehalfby'])];
      target = this.image(table, id, after, names.join(','));
      if (message === 'Create') for (const column of this.partyColumns(table)) target.row[column] = null;
    }
    return remoteExecutionContext({
      message,
      mode,
      stage: Number(registered.step.stage),
      table,
      id,
      ...(target ? { target } : {}),
      preImages: message === 'Create' ? [] : pre.map((i) => ({ alias: alias(i), image: this.image(table, id, before, (i.attributes as string | null) ?? null) })),
      postImages: message === 'Delete' ? [] : postImages,
      user: principal(actor.user),
      initiatingUser: principal(actor.initiating),
      organization: this.organization,
      correlationId: operation.correlationId,
      operationId: operation.operationId,
      requestId: operation.requestId,
      operationCreatedOn: operation.at,
      stepId: String(registered.step.sdkmessageprocessingstepid),
      nameOf: this.nameOf,
    });
  }

  // ---- test actions: people working in CRM ------------------------------------------------------

  async createAppointment(input: AppointmentInput): Promise<string> {
    const organizerUser = 'address' in input.organizer || input.organizer.logicalName !== 'systemuser' ? undefined : input.organizer.id;
    const ownerId = input.ownerId ?? organizerUser;
    if (!ownerId) throw new Error('createAppointment: ownerId is required when the organizer is not a user');
    const parties = [
      toPartyInput(input.organizer, PARTY_MASK.organizer),
      ...(input.requiredAttendees ?? []).map((p) => toPartyInput(p, PARTY_MASK.required)),
      ...(input.optionalAttendees ?? []).map((p) => toPartyInput(p, PARTY_MASK.optional)),
    ];
    return this.userCreates(ownerId, 'appointment', {
      values: {
        ...(input.id ? { activityid: input.id.toLowerCase() } : {}),
        subject: input.subject,
        scheduledstart: ms(input.start),
        scheduledend: ms(input.end),
        statecode: input.statecode ?? 3,
        statuscode: input.statuscode ?? null,
        ownerid: { logicalName: 'systemuser', id: ownerId.toLowerCase() },
        globalobjectid: input.globalobjectid ?? `040000008200E00074C5B7101A82E008${randomBytes(28).toString('hex').toUpperCase()}`,
        instancetypecode: input.instancetypecode ?? 0,
        regardingobjectid: input.regarding ?? null,
        location: input.location ?? null,
      },
      parties,
    });
  }

  /** A user creates a recurring series in CRM: the master row (its Create steps run), then its instances are expanded. */
  async createRecurringAppointment(input: RecurringAppointmentInput): Promise<{ id: string; instances: string[] }> {
    const organizerUser = 'address' in input.organizer || input.organizer.logicalName !== 'systemuser' ? undefined : input.organizer.id;
    if (!organizerUser) throw new Error('createRecurringAppointment: the organizer must be a user');
    const first = ms(input.firstStart);
    const { patternenddate, ...pattern } = input.pattern;
    const id = await this.userCreates(organizerUser, 'recurringappointmentmaster', {
      values: {
        ...(input.id ? { activityid: input.id.toLowerCase() } : {}),
        subject: input.subject,
        ...pattern,
        patternenddate: patternenddate === undefined ? null : ms(patternenddate),
        patternstartdate: Date.parse(`${new Date(first).toISOString().slice(0, 10)}T00:00:00Z`),
        starttime: first,
        endtime: first + input.durationMinutes * 60_000,
        duration: input.durationMinutes,
        statecode: input.statecode ?? 3,
        seriesstatus: true,
        instancetypecode: 1,
        ownerid: { logicalName: 'systemuser', id: organizerUser.toLowerCase() },
        globalobjectid: input.globalobjectid ?? `040000008200E00074C5B7101A82E008${randomBytes(28).toString('hex').toUpperCase()}`,
      },
      parties: [
        toPartyInput(input.organizer, PARTY_MASK.organizer),
        ...(input.requiredAttendees ?? []).map((p) => toPartyInput(p, PARTY_MASK.required)),
        ...(input.optionalAttendees ?? []).map((p) => toPartyInput(p, PARTY_MASK.optional)),
      ],
    });
    return { id, instances: this.expandSeries(id) };
  }

  async createTask(input: TaskInput): Promise<string> {
    return this.userCreates(input.ownerId, 'task', {
      values: {
        ...(input.id ? { activityid: input.id.toLowerCase() } : {}),
        subject: input.subject,
        statecode: input.statecode ?? 0,
        statuscode: input.statuscode ?? null,
        scheduledend: input.due !== undefined ? ms(input.due) : null,
        ownerid: { logicalName: 'systemuser', id: input.ownerId.toLowerCase() },
        regardingobjectid: input.regarding ?? null,
      },
      parties: [],
    });
  }

  async createEmail(input: EmailInput): Promise<string> {
    return this.userCreates(input.ownerId, 'email', {
      values: {
        ...(input.id ? { activityid: input.id.toLowerCase() } : {}),
        subject: input.subject,
        messageid: input.messageid ?? `<${randomUUID()}@contoso.test>`,
        statecode: input.statecode ?? 1,
        statuscode: input.statuscode ?? null,
        directioncode: input.directioncode ?? true,
        ownerid: { logicalName: 'systemuser', id: input.ownerId.toLowerCase() },
      },
      parties: [
        toPartyInput(input.from, PARTY_MASK.sender),
        ...input.to.map((p) => toPartyInput(p, PARTY_MASK.to)),
        ...(input.cc ?? []).map((p) => toPartyInput(p, PARTY_MASK.cc)),
      ],
    });
  }

  async createContact(input: ContactInput): Promise<string> {
    return this.userCreates(input.ownerId, 'contact', {
      values: {
        ...(input.id ? { contactid: input.id.toLowerCase() } : {}),
        firstname: input.firstname ?? null,
        lastname: input.lastname,
        emailaddress1: input.emailaddress1 ?? null,
        statecode: input.statecode ?? 0,
        ownerid: { logicalName: 'systemuser', id: input.ownerId.toLowerCase() },
      },
    });
  }

  /**
   * Server-side sync's record of a tracked item: `record` in CRM is `exchangeEntryId` in the owner's
   * mailbox. The service's link import reads these rows (exchangesyncidmappings).
   */
  async linkExchangeItem(ownerSystemUserId: string, record: EntityRef, exchangeEntryId: string): Promise<string> {
    return this.userCreates(ownerSystemUserId, 'exchangesyncidmapping', {
      values: {
        exchangeentryid: exchangeEntryId,
        objectid: record.id.toLowerCase(),
        objecttypecode: tableOrThrow(record.logicalName).objectTypeCode,
        ownerid: { logicalName: 'systemuser', id: ownerSystemUserId.toLowerCase() },
        isdeletedinexchange: false,
        isunlinkedincrm: false,
      },
    });
  }

  /** A user creates a record in the CRM UI; values are typed cells (dates in ms, lookups as references). */
  async userCreates(systemUserId: string, entity: string, body: ParsedBody): Promise<string> {
    return this.create(this.userActor(systemUserId), tableOrThrow(entity), body);
  }

  /** A user edits a record in the CRM UI (the Update message fires, with their filtering attributes). */
  async userUpdates(systemUserId: string, entity: string, id: string, values: Row, parties?: PartyInput[]): Promise<void> {
    await this.update(this.userActor(systemUserId), tableOrThrow(entity), id, { values, ...(parties ? { parties } : {}) });
  }

  /** A user marks a record completed/canceled/inactive (statecode/statuscode, an Update as the platform runs it). */
  async setState(systemUserId: string, entity: string, id: string, statecode: number, statuscode?: number): Promise<void> {
    await this.userUpdates(systemUserId, entity, id, { statecode, ...(statuscode !== undefined ? { statuscode } : {}) });
  }

  /** A user deletes in the CRM UI: refused with 0x80040220 unless one of their roles grants Delete. */
  async userDeletes(systemUserId: string, entity: string, id: string): Promise<void> {
    await this.delete(this.userActor(systemUserId), tableOrThrow(entity), id);
  }

  // ---- assertions -------------------------------------------------------------------------------

  exists(entity: string, id: string): boolean {
    return this.find(tableOrThrow(entity), id) !== undefined;
  }

  /** The stored row (typed cells), or undefined. */
  get(entity: string, id: string): Row | undefined {
    const row = this.find(tableOrThrow(entity), id);
    return row ? { ...row } : undefined;
  }

  /** All rows of a table whose cells equal every given value (references compared by id). */
  query(entity: string, match: Record<string, Cell> = {}): Row[] {
    return this.rows(tableOrThrow(entity)).filter((row) =>
      Object.entries(match).every(([k, v]) => {
        const cell = row[k] ?? null;
        return isRef(v) || isRef(cell) ? isRef(v) && isRef(cell) && v.id.toLowerCase() === cell.id.toLowerCase() : cell === v;
      }),
    );
  }

  /** Webhook deliveries made so far, optionally only those matching the given fields. */
  deliveries(match: Partial<Pick<DeliveryRecord, 'message' | 'entity' | 'recordId' | 'stepId' | 'mode' | 'outcome'>> = {}): DeliveryRecord[] {
    const keys = Object.keys(match) as (keyof typeof match)[];
    return this.webhooks.deliveries.filter((d) => keys.every((k) => d[k] === match[k]));
  }

  /** System Jobs (asyncoperation rows) of asynchronous steps; `failed` keeps only statuscode 31. */
  systemJobs(options: { failed?: boolean } = {}): Row[] {
    return this.store.rows('asyncoperation').filter((j) => !options.failed || j.statuscode === 31);
  }

  /** Waits until every asynchronous step queued so far has been delivered or has failed. */
  async settle(): Promise<void> {
    await this.webhooks.idle();
  }
}
