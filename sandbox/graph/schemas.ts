/**
 * What Graph accepts in request bodies for the resources the sandbox serves. Bodies are checked as Graph
 * does: wrong shapes and properties the type does not have are 400s, not silently kept.
 */
import { z } from 'zod';

export const dateTimeTimeZone = z.object({ dateTime: z.string().min(1), timeZone: z.string().min(1) });
export const emailAddress = z.object({ address: z.string().min(1), name: z.string().optional() });
export const recipient = z.object({ emailAddress });
export const itemBody = z.object({ contentType: z.enum(['text', 'html', 'Text', 'HTML']).default('text'), content: z.string().default('') });
export const extendedProperty = z.object({ id: z.string().min(1), value: z.string() });
export const attendeeInput = z.object({
  emailAddress,
  type: z.enum(['required', 'optional', 'resource']).default('required'),
  status: z.object({ response: z.string(), time: z.string() }).optional(),
});

const extended = { singleValueExtendedProperties: z.array(extendedProperty).optional() };

/** patternedRecurrence: recurrencePattern + recurrenceRange, as Graph's CSDL declares them. */
export const patternedRecurrence = z.strictObject({
  pattern: z.strictObject({
    type: z.enum(['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly']),
    interval: z.number().int(),
    daysOfWeek: z.array(z.string()).optional(),
    dayOfMonth: z.number().int().optional(),
    firstDayOfWeek: z.string().optional(),
    index: z.enum(['first', 'second', 'third', 'fourth', 'last']).optional(),
    month: z.number().int().optional(),
  }),
  range: z.strictObject({
    type: z.enum(['endDate', 'noEnd', 'numbered']),
    startDate: z.iso.date(),
    endDate: z.iso.date().nullable().optional(),
    numberOfOccurrences: z.number().int().optional(),
    recurrenceTimeZone: z.string().optional(),
  }),
});

export const eventInput = z.strictObject({
  subject: z.string().optional(),
  body: itemBody.optional(),
  start: dateTimeTimeZone,
  end: dateTimeTimeZone,
  location: z.looseObject({ displayName: z.string().optional() }).optional(),
  attendees: z.array(attendeeInput).optional(),
  isAllDay: z.boolean().optional(),
  showAs: z.string().optional(),
  importance: z.string().optional(),
  sensitivity: z.string().optional(),
  categories: z.array(z.string()).optional(),
  isReminderOn: z.boolean().optional(),
  reminderMinutesBeforeStart: z.number().optional(),
  responseRequested: z.boolean().optional(),
  isOnlineMeeting: z.boolean().optional(),
  allowNewTimeProposals: z.boolean().optional(),
  transactionId: z.string().optional(),
  recurrence: patternedRecurrence.nullable().optional(),
  ...extended,
});
export type EventInput = z.input<typeof eventInput>;
export const eventPatch = eventInput.partial();

// Every name is a nullable Edm.String in the v1.0 metadata, and "Create contact" requires none.
export const contactInput = z.strictObject({
  givenName: z.string().nullable().optional(),
  surname: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
  emailAddresses: z.array(emailAddress).optional(),
  businessPhones: z.array(z.string()).optional(),
  mobilePhone: z.string().nullable().optional(),
  companyName: z.string().nullable().optional(),
  jobTitle: z.string().nullable().optional(),
  categories: z.array(z.string()).optional(),
  personalNotes: z.string().nullable().optional(),
  ...extended,
});
export type ContactInput = z.input<typeof contactInput>;
export const contactPatch = contactInput.partial();

export const messageInput = z.strictObject({
  subject: z.string().optional(),
  body: itemBody.optional(),
  from: recipient.optional(),
  toRecipients: z.array(recipient).optional(),
  ccRecipients: z.array(recipient).optional(),
  bccRecipients: z.array(recipient).optional(),
  internetMessageId: z.string().optional(),
  isRead: z.boolean().optional(),
  importance: z.string().optional(),
  categories: z.array(z.string()).optional(),
  ...extended,
});
export type MessageInput = z.input<typeof messageInput>;
export const messagePatch = messageInput.partial();

export const taskInput = z.strictObject({
  title: z.string().min(1),
  status: z.enum(['notStarted', 'inProgress', 'completed', 'waitingOnOthers', 'deferred']).default('notStarted'),
  importance: z.enum(['low', 'normal', 'high']).default('normal'),
  body: itemBody.optional(),
  dueDateTime: dateTimeTimeZone.optional(),
  startDateTime: dateTimeTimeZone.optional(),
  completedDateTime: dateTimeTimeZone.optional(),
  reminderDateTime: dateTimeTimeZone.optional(),
  isReminderOn: z.boolean().optional(),
  categories: z.array(z.string()).optional(),
  // No singleValueExtendedProperties: Graph v1.0 todoTask has none (it has linkedResources and extensions).
});
export type TaskInput = z.input<typeof taskInput>;
export const taskPatch = taskInput.partial();

export const linkedResourceInput = z.strictObject({
  applicationName: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
  externalId: z.string().nullable().optional(),
  webUrl: z.string().nullable().optional(),
});
export type LinkedResourceInput = z.input<typeof linkedResourceInput>;

export const todoListInput = z.strictObject({ displayName: z.string().min(1) });

export const subscriptionInput = z.strictObject({
  changeType: z.string().min(1),
  notificationUrl: z.string().min(1),
  lifecycleNotificationUrl: z.string().optional(),
  resource: z.string().min(1),
  expirationDateTime: z.string().min(1),
  clientState: z.string().max(128).optional(),
  latestSupportedTlsVersion: z.string().optional(),
  includeResourceData: z.boolean().optional(),
  notificationQueryOptions: z.string().optional(),
});

export const subscriptionPatch = z.strictObject({ expirationDateTime: z.string().min(1) });

export const translateIdsInput = z.strictObject({
  inputIds: z.array(z.string()).min(1).max(1000),
  sourceIdType: z.enum(['entryId', 'ewsId', 'immutableEntryId', 'restId', 'restImmutableEntryId']).optional(),
  targetIdType: z.enum(['entryId', 'ewsId', 'immutableEntryId', 'restId', 'restImmutableEntryId']),
});

export const batchInput = z.strictObject({
  requests: z.array(
    z.strictObject({
      id: z.string().min(1),
      method: z.string().min(1),
      url: z.string().min(1),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
      dependsOn: z.array(z.string()).optional(),
    }),
  ),
});
export type BatchRequestItem = z.infer<typeof batchInput>['requests'][number];
