/**
 * The tables the sandbox holds, described as Dataverse describes them: logical name, entity set,
 * primary id, column types, choice labels. Everything else (Web API JSON, plug-in context values,
 * $filter typing) is derived from these definitions, so a column is declared once.
 */

/** How a column is typed; decides its Web API shape and its RemoteExecutionContext shape. */
export type ColumnKind =
  | 'string'
  | 'int'
  | 'bool'
  | 'guid'
  | 'date'
  | 'choice'
  | 'lookup'
  | 'entityname'
  /** Activity party list (organizer, requiredattendees, to, …): stored as activityparty rows. */
  | 'partylist';

export interface ColumnDef {
  kind: ColumnKind;
  /** Lookup: the tables it may point at. */
  targets?: string[];
  /** Choice: value → label (the FormattedValues text). */
  labels?: Record<number, string>;
  /** Party list: the participationtypemask values that make up this column. */
  masks?: number[];
  /** Not returned by Web API reads (e.g. serviceendpoint.authvalue). */
  hidden?: boolean;
  /** Set by the platform only; a client writing it gets an error. */
  readOnly?: boolean;
}

export interface TableDef {
  logicalName: string;
  entitySet: string;
  primaryId: string;
  primaryName?: string;
  objectTypeCode: number;
  columns: Record<string, ColumnDef>;
  /** Activity tables share activityid and have party lists through `<table>_activity_parties`. */
  isActivity?: boolean;
  /** The privilege Dataverse names when Delete is denied. */
  deletePrivilege?: string;
  /** The privilege a read of the table needs; its depth decides which rows a read reaches. */
  readPrivilege?: string;
  /** Only the sandbox writes rows (systemusers come from the directory, system jobs from the async service). */
  readOnlyTable?: boolean;
  /** statecode → default statuscode, applied when a client sets only statecode. */
  defaultStatus?: Record<number, number>;
}

export const PARTY_MASK = { sender: 1, to: 2, cc: 3, bcc: 4, required: 5, optional: 6, organizer: 7, owner: 9 } as const;

const PARTY_LABELS: Record<number, string> = {
  1: 'Sender',
  2: 'To Recipient',
  3: 'CC Recipient',
  4: 'BCC Recipient',
  5: 'Required attendee',
  6: 'Optional attendee',
  7: 'Organizer',
  9: 'Owner',
};

const system: Record<string, ColumnDef> = {
  createdon: { kind: 'date', readOnly: true },
  modifiedon: { kind: 'date', readOnly: true },
  createdby: { kind: 'lookup', targets: ['systemuser'], readOnly: true },
  modifiedby: { kind: 'lookup', targets: ['systemuser'], readOnly: true },
  modifiedonbehalfby: { kind: 'lookup', targets: ['systemuser'], readOnly: true },
  versionnumber: { kind: 'int', readOnly: true },
};

const owned: Record<string, ColumnDef> = {
  ownerid: { kind: 'lookup', targets: ['systemuser', 'team'] },
  owningbusinessunit: { kind: 'lookup', targets: ['businessunit'], readOnly: true },
};

/** Contact and account states: 0 Active / 1 Inactive. */
const activeInactive: Record<string, ColumnDef> = {
  statecode: { kind: 'choice', labels: { 0: 'Active', 1: 'Inactive' } },
  statuscode: { kind: 'choice', labels: { 1: 'Active', 2: 'Inactive' } },
};

const activity: Record<string, ColumnDef> = {
  activityid: { kind: 'guid' },
  subject: { kind: 'string' },
  description: { kind: 'string' },
  scheduledstart: { kind: 'date' },
  scheduledend: { kind: 'date' },
  regardingobjectid: { kind: 'lookup', targets: ['contact', 'account'] },
  activitytypecode: { kind: 'entityname', readOnly: true },
  ...owned,
  ...system,
};

const appointment: TableDef = {
  logicalName: 'appointment',
  entitySet: 'appointments',
  primaryId: 'activityid',
  primaryName: 'subject',
  objectTypeCode: 4201,
  isActivity: true,
  deletePrivilege: 'prvDeleteActivity',
  readPrivilege: 'prvReadActivity',
  defaultStatus: { 0: 1, 1: 3, 2: 4, 3: 5 },
  columns: {
    ...activity,
    statecode: { kind: 'choice', labels: { 0: 'Open', 1: 'Completed', 2: 'Canceled', 3: 'Scheduled' } },
    statuscode: { kind: 'choice', labels: { 1: 'Free', 2: 'Tentative', 3: 'Completed', 4: 'Canceled', 5: 'Busy', 6: 'Out of Office' } },
    location: { kind: 'string' },
    isalldayevent: { kind: 'bool' },
    globalobjectid: { kind: 'string' },
    instancetypecode: {
      kind: 'choice',
      labels: { 0: 'Not Recurring', 1: 'Recurring Master', 2: 'Recurring Instance', 3: 'Recurring Exception', 4: 'Recurring Future Exception' },
    },
    organizer: { kind: 'partylist', masks: [PARTY_MASK.organizer] },
    requiredattendees: { kind: 'partylist', masks: [PARTY_MASK.required] },
    optionalattendees: { kind: 'partylist', masks: [PARTY_MASK.optional] },
    /** The series of an instance: Uniqueidentifier on the table page, ReferencingAttribute of recurringappointmentmaster_appointment (Delete: Cascade). */
    seriesid: { kind: 'guid', readOnly: true },
    originalstartdate: { kind: 'date', readOnly: true },
  },
};

/** The master of a recurring series (Learn: "Recurring Appointment (RecurringAppointmentMaster) table/entity reference"). */
const recurringappointmentmaster: TableDef = {
  logicalName: 'recurringappointmentmaster',
  entitySet: 'recurringappointmentmasters',
  primaryId: 'activityid',
  primaryName: 'subject',
  objectTypeCode: 4251,
  isActivity: true,
  deletePrivilege: 'prvDeleteActivity',
  defaultStatus: { 0: 1, 1: 3, 2: 4, 3: 5 },
  columns: {
    ...activity,
    scheduledstart: { kind: 'date', readOnly: true },
    scheduledend: { kind: 'date', readOnly: true },
    statecode: { kind: 'choice', labels: { 0: 'Open', 1: 'Completed', 2: 'Canceled', 3: 'Scheduled' } },
    statuscode: { kind: 'choice', labels: { 1: 'Free', 2: 'Tentative', 3: 'Completed', 4: 'Canceled', 5: 'Busy', 6: 'Out of Office' } },
    location: { kind: 'string' },
    globalobjectid: { kind: 'string' },
    recurrencepatterntype: { kind: 'choice', labels: { 0: 'Daily', 1: 'Weekly', 2: 'Monthly', 3: 'Yearly' } },
    interval: { kind: 'int' },
    daysofweekmask: { kind: 'int' },
    dayofmonth: { kind: 'int' },
    patternstartdate: { kind: 'date' },
    patternenddate: { kind: 'date' },
    patternendtype: { kind: 'choice', labels: { 1: 'No End Date', 2: 'Occurrences', 3: 'Pattern End Date' } },
    occurrences: { kind: 'int' },
    starttime: { kind: 'date' },
    endtime: { kind: 'date' },
    duration: { kind: 'int' },
    effectivestartdate: { kind: 'date', readOnly: true },
    effectiveenddate: { kind: 'date', readOnly: true },
    seriesstatus: { kind: 'bool' },
    instancetypecode: {
      kind: 'choice',
      readOnly: true,
      labels: { 0: 'Not Recurring', 1: 'Recurring Master', 2: 'Recurring Instance', 3: 'Recurring Exception', 4: 'Recurring Future Exception' },
    },
    expansionstatecode: { kind: 'choice', readOnly: true, labels: { 0: 'Unexpanded', 1: 'Partial', 2: 'Full' } },
    lastexpandedinstancedate: { kind: 'date', readOnly: true },
    nextexpansioninstancedate: { kind: 'date', readOnly: true },
    deletedexceptionslist: { kind: 'string', readOnly: true },
    organizer: { kind: 'partylist', masks: [PARTY_MASK.organizer] },
    requiredattendees: { kind: 'partylist', masks: [PARTY_MASK.required] },
    optionalattendees: { kind: 'partylist', masks: [PARTY_MASK.optional] },
  },
};

const task: TableDef = {
  logicalName: 'task',
  entitySet: 'tasks',
  primaryId: 'activityid',
  primaryName: 'subject',
  objectTypeCode: 4212,
  isActivity: true,
  deletePrivilege: 'prvDeleteActivity',
  readPrivilege: 'prvReadActivity',
  defaultStatus: { 0: 2, 1: 5, 2: 6 },
  columns: {
    ...activity,
    statecode: { kind: 'choice', labels: { 0: 'Open', 1: 'Completed', 2: 'Canceled' } },
    statuscode: {
      kind: 'choice',
      labels: { 2: 'Not Started', 3: 'In Progress', 4: 'Waiting on someone else', 5: 'Completed', 6: 'Canceled', 7: 'Deferred' },
    },
    prioritycode: { kind: 'choice', labels: { 0: 'Low', 1: 'Normal', 2: 'High' } },
    percentcomplete: { kind: 'int' },
  },
};

const email: TableDef = {
  logicalName: 'email',
  entitySet: 'emails',
  primaryId: 'activityid',
  primaryName: 'subject',
  objectTypeCode: 4202,
  isActivity: true,
  deletePrivilege: 'prvDeleteActivity',
  readPrivilege: 'prvReadActivity',
  defaultStatus: { 0: 1, 1: 2, 2: 5 },
  columns: {
    ...activity,
    statecode: { kind: 'choice', labels: { 0: 'Open', 1: 'Completed', 2: 'Canceled' } },
    statuscode: {
      kind: 'choice',
      labels: { 1: 'Draft', 2: 'Completed', 3: 'Sent', 4: 'Received', 5: 'Canceled', 6: 'Pending Send', 7: 'Sending', 8: 'Failed' },
    },
    messageid: { kind: 'string' },
    directioncode: { kind: 'bool' },
    from: { kind: 'partylist', masks: [PARTY_MASK.sender] },
    to: { kind: 'partylist', masks: [PARTY_MASK.to] },
    cc: { kind: 'partylist', masks: [PARTY_MASK.cc] },
    bcc: { kind: 'partylist', masks: [PARTY_MASK.bcc] },
  },
};

const contact: TableDef = {
  logicalName: 'contact',
  entitySet: 'contacts',
  primaryId: 'contactid',
  primaryName: 'fullname',
  objectTypeCode: 2,
  deletePrivilege: 'prvDeleteContact',
  readPrivilege: 'prvReadContact',
  defaultStatus: { 0: 1, 1: 2 },
  columns: {
    contactid: { kind: 'guid' },
    firstname: { kind: 'string' },
    lastname: { kind: 'string' },
    fullname: { kind: 'string', readOnly: true },
    emailaddress1: { kind: 'string' },
    telephone1: { kind: 'string' },
    ...activeInactive,
    ...owned,
    ...system,
  },
};

const account: TableDef = {
  logicalName: 'account',
  entitySet: 'accounts',
  primaryId: 'accountid',
  primaryName: 'name',
  objectTypeCode: 1,
  deletePrivilege: 'prvDeleteAccount',
  readPrivilege: 'prvReadAccount',
  defaultStatus: { 0: 1, 1: 2 },
  columns: {
    accountid: { kind: 'guid' },
    name: { kind: 'string' },
    emailaddress1: { kind: 'string' },
    ...activeInactive,
    ...owned,
    ...system,
  },
};

const systemuser: TableDef = {
  logicalName: 'systemuser',
  entitySet: 'systemusers',
  primaryId: 'systemuserid',
  primaryName: 'fullname',
  objectTypeCode: 8,
  readOnlyTable: true,
  readPrivilege: 'prvReadUser',
  columns: {
    systemuserid: { kind: 'guid' },
    azureactivedirectoryobjectid: { kind: 'guid' },
    internalemailaddress: { kind: 'string' },
    domainname: { kind: 'string' },
    fullname: { kind: 'string' },
    isdisabled: { kind: 'bool' },
    /** 0 Read-Write, 4 Non-interactive (application users). */
    accessmode: { kind: 'choice', labels: { 0: 'Read-Write', 4: 'Non-interactive' } },
  },
};

const activityparty: TableDef = {
  logicalName: 'activityparty',
  entitySet: 'activityparties',
  primaryId: 'activitypartyid',
  objectTypeCode: 135,
  readOnlyTable: true,
  columns: {
    activitypartyid: { kind: 'guid' },
    activityid: { kind: 'lookup', targets: ['activitypointer'] },
    partyid: { kind: 'lookup', targets: ['systemuser', 'contact', 'account'] },
    participationtypemask: { kind: 'choice', labels: PARTY_LABELS },
    addressused: { kind: 'string' },
    ispartydeleted: { kind: 'bool' },
  },
};

/**
 * Server-side sync's item mapping (Learn: exchangesyncidmapping table reference): `objectid` is a plain
 * Uniqueidentifier (there is no `_objectid_value`), `objecttypecode` an Integer type code, and the
 * mailbox user is the owner (there is no userid column).
 */
const exchangesyncidmapping: TableDef = {
  logicalName: 'exchangesyncidmapping',
  entitySet: 'exchangesyncidmappings',
  primaryId: 'exchangesyncidmappingid',
  objectTypeCode: 4120,
  columns: {
    exchangesyncidmappingid: { kind: 'guid' },
    exchangeentryid: { kind: 'string' },
    objectid: { kind: 'guid' },
    objecttypecode: { kind: 'int' },
    isdeletedinexchange: { kind: 'bool' },
    isunlinkedincrm: { kind: 'bool' },
    itemsubject: { kind: 'string' },
    fromcrmchangetype: { kind: 'int' },
    tocrmchangetype: { kind: 'int' },
    lastsyncerror: { kind: 'string' },
    lastsyncerrorcode: { kind: 'int' },
    lastsyncerroroccurredon: { kind: 'date' },
    retries: { kind: 'int' },
    userdecision: { kind: 'int' },
    ...owned,
    createdon: system.createdon as ColumnDef,
    modifiedon: system.modifiedon as ColumnDef,
    versionnumber: system.versionnumber as ColumnDef,
  },
};

const serviceendpoint: TableDef = {
  logicalName: 'serviceendpoint',
  entitySet: 'serviceendpoints',
  primaryId: 'serviceendpointid',
  primaryName: 'name',
  objectTypeCode: 4618,
  columns: {
    serviceendpointid: { kind: 'guid' },
    name: { kind: 'string' },
    description: { kind: 'string' },
    contract: {
      kind: 'choice',
      labels: { 1: 'OneWay', 2: 'Queue', 3: 'Rest', 4: 'TwoWay', 5: 'Topic', 6: 'Queue (Persistent)', 7: 'Event Hub', 8: 'Webhook', 9: 'Event Grid', 10: 'Managed Data Lake' },
    },
    authtype: {
      kind: 'choice',
      labels: { 1: 'ACS', 2: 'SAS Key', 3: 'SAS Token', 4: 'Webhook Key', 5: 'Http Header', 6: 'Http Query String', 7: 'Connection String', 8: 'Access Key' },
    },
    authvalue: { kind: 'string', hidden: true },
    url: { kind: 'string' },
    messageformat: { kind: 'choice', labels: { 1: 'Binary XML', 2: 'Json', 3: 'Text XML' } },
    namespaceformat: { kind: 'choice', labels: { 1: 'Namespace Name', 2: 'Namespace Address' } },
    connectionmode: { kind: 'choice', labels: { 1: 'Normal', 2: 'Federated' } },
    userclaim: { kind: 'choice', labels: { 1: 'None', 2: 'UserId', 3: 'UserInfo' } },
    // The table reference lists no versionnumber for serviceendpoint: it has no row version.
    createdon: system.createdon as ColumnDef,
    modifiedon: system.modifiedon as ColumnDef,
    createdby: system.createdby as ColumnDef,
    modifiedby: system.modifiedby as ColumnDef,
    modifiedonbehalfby: system.modifiedonbehalfby as ColumnDef,
  },
};

const sdkmessage: TableDef = {
  logicalName: 'sdkmessage',
  entitySet: 'sdkmessages',
  primaryId: 'sdkmessageid',
  primaryName: 'name',
  objectTypeCode: 4606,
  readOnlyTable: true,
  columns: { sdkmessageid: { kind: 'guid' }, name: { kind: 'string' }, ...system },
};

const sdkmessagefilter: TableDef = {
  logicalName: 'sdkmessagefilter',
  entitySet: 'sdkmessagefilters',
  primaryId: 'sdkmessagefilterid',
  objectTypeCode: 4607,
  readOnlyTable: true,
  columns: {
    sdkmessagefilterid: { kind: 'guid' },
    sdkmessageid: { kind: 'lookup', targets: ['sdkmessage'] },
    primaryobjecttypecode: { kind: 'entityname' },
    secondaryobjecttypecode: { kind: 'entityname' },
    iscustomprocessingstepallowed: { kind: 'bool' },
    ...system,
  },
};

const sdkmessageprocessingstep: TableDef = {
  logicalName: 'sdkmessageprocessingstep',
  entitySet: 'sdkmessageprocessingsteps',
  primaryId: 'sdkmessageprocessingstepid',
  primaryName: 'name',
  objectTypeCode: 4608,
  defaultStatus: { 0: 1, 1: 2 },
  columns: {
    sdkmessageprocessingstepid: { kind: 'guid' },
    name: { kind: 'string' },
    description: { kind: 'string' },
    stage: { kind: 'choice', labels: { 10: 'Pre-validation', 20: 'Pre-operation', 30: 'Main Operation', 40: 'Post-operation' } },
    mode: { kind: 'choice', labels: { 0: 'Synchronous', 1: 'Asynchronous' } },
    rank: { kind: 'int' },
    supporteddeployment: { kind: 'choice', labels: { 0: 'Server Only', 1: 'Microsoft Dynamics 365 Client for Outlook Only', 2: 'Both' } },
    asyncautodelete: { kind: 'bool' },
    filteringattributes: { kind: 'string' },
    configuration: { kind: 'string' },
    eventhandler: { kind: 'lookup', targets: ['serviceendpoint', 'plugintype'] },
    sdkmessageid: { kind: 'lookup', targets: ['sdkmessage'] },
    sdkmessagefilterid: { kind: 'lookup', targets: ['sdkmessagefilter'] },
    statecode: { kind: 'choice', labels: { 0: 'Enabled', 1: 'Disabled' } },
    statuscode: { kind: 'choice', labels: { 1: 'Enabled', 2: 'Disabled' } },
    ...system,
  },
};

const sdkmessageprocessingstepimage: TableDef = {
  logicalName: 'sdkmessageprocessingstepimage',
  entitySet: 'sdkmessageprocessingstepimages',
  primaryId: 'sdkmessageprocessingstepimageid',
  primaryName: 'name',
  objectTypeCode: 4615,
  columns: {
    sdkmessageprocessingstepimageid: { kind: 'guid' },
    sdkmessageprocessingstepid: { kind: 'lookup', targets: ['sdkmessageprocessingstep'] },
    name: { kind: 'string' },
    entityalias: { kind: 'string' },
    imagetype: { kind: 'choice', labels: { 0: 'PreImage', 1: 'PostImage', 2: 'Both' } },
    attributes: { kind: 'string' },
    messagepropertyname: { kind: 'string' },
    ...system,
  },
};

/** System Jobs: an async step's run; failed webhook deliveries stay here as Failed. */
const asyncoperation: TableDef = {
  logicalName: 'asyncoperation',
  entitySet: 'asyncoperations',
  primaryId: 'asyncoperationid',
  primaryName: 'name',
  objectTypeCode: 4700,
  readOnlyTable: true,
  columns: {
    asyncoperationid: { kind: 'guid' },
    name: { kind: 'string' },
    operationtype: { kind: 'choice', labels: { 1: 'System Event' } },
    statecode: { kind: 'choice', labels: { 0: 'Ready', 1: 'Suspended', 2: 'Locked', 3: 'Completed' } },
    statuscode: {
      kind: 'choice',
      labels: { 0: 'Waiting For Resources', 10: 'Waiting', 20: 'In Progress', 21: 'Pausing', 22: 'Canceling', 30: 'Succeeded', 31: 'Failed', 32: 'Canceled' },
    },
    message: { kind: 'string' },
    friendlymessage: { kind: 'string' },
    errorcode: { kind: 'int' },
    retrycount: { kind: 'int' },
    depth: { kind: 'int' },
    correlationid: { kind: 'guid' },
    primaryentitytype: { kind: 'entityname' },
    messagename: { kind: 'string' },
    owningextensionid: { kind: 'lookup', targets: ['sdkmessageprocessingstep'] },
    regardingobjectid: { kind: 'lookup', targets: ['appointment', 'task', 'email', 'contact', 'account'] },
    completedon: { kind: 'date' },
    ...system,
  },
};

export const TABLES: readonly TableDef[] = [
  appointment,
  recurringappointmentmaster,
  task,
  email,
  contact,
  account,
  systemuser,
  activityparty,
  exchangesyncidmapping,
  serviceendpoint,
  sdkmessage,
  sdkmessagefilter,
  sdkmessageprocessingstep,
  sdkmessageprocessingstepimage,
  asyncoperation,
];

/** Tables whose Create/Update/Delete can carry registered steps in the sandbox. */
export const EVENT_TABLES = ['appointment', 'recurringappointmentmaster', 'task', 'email', 'contact', 'account', 'exchangesyncidmapping'] as const;

const byLogical = new Map(TABLES.map((t) => [t.logicalName, t]));
const bySet = new Map(TABLES.map((t) => [t.entitySet, t]));

export function tableByLogicalName(logicalName: string): TableDef | undefined {
  return byLogical.get(logicalName);
}

export function tableByEntitySet(entitySet: string): TableDef | undefined {
  return bySet.get(entitySet);
}

/** `appointment_activity_parties`: the party collection's navigation property on an activity table. */
export function partyNavigation(table: TableDef): string | undefined {
  return table.isActivity ? `${table.logicalName}_activity_parties` : undefined;
}
