/**
 * Microsoft Graph wire shapes: change notifications, lifecycle notifications, and the response bodies
 * the service reads ($batch, delta pages, errors, subscriptions). Objects are loose: Graph adds
 * properties without notice, and an unknown property must not reject a notification.
 */
import { z } from 'zod';

export const ChangeType = z.enum(['created', 'updated', 'deleted']);
export const LifecycleEvent = z.enum(['reauthorizationRequired', 'subscriptionRemoved', 'missed']);

export const ResourceData = z.looseObject({
  '@odata.type': z.string().optional(),
  '@odata.id': z.string().optional(),
  '@odata.etag': z.string().optional(),
  id: z.string().min(1).optional(),
});

export const ChangeNotification = z.looseObject({
  id: z.string().optional(),
  subscriptionId: z.string().min(1),
  subscriptionExpirationDateTime: z.string().optional(),
  clientState: z.string().nullable().optional(),
  changeType: ChangeType,
  resource: z.string().min(1),
  resourceData: ResourceData.optional(),
  tenantId: z.string().optional(),
  encryptedContent: z.looseObject({}).optional(),
});

export const ChangeNotificationCollection = z.looseObject({
  value: z.array(ChangeNotification).min(1),
  /** Present for notifications with resource data; JWTs to validate. */
  validationTokens: z.array(z.string()).optional(),
});

export const LifecycleNotification = z.looseObject({
  /** Graph's optional per-notification id (absent from its lifecycle examples). */
  id: z.string().min(1).optional(),
  subscriptionId: z.string().min(1),
  subscriptionExpirationDateTime: z.string().optional(),
  clientState: z.string().nullable().optional(),
  tenantId: z.string().optional(),
  lifecycleEvent: LifecycleEvent,
  resource: z.string().optional(),
});

export const LifecycleNotificationCollection = z.looseObject({
  value: z.array(LifecycleNotification).min(1),
});

/** `{"error":{"code","message","innerError"?}}`. `code` may be empty (seen in $batch items). */
export const GraphErrorBody = z.looseObject({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    innerError: z.looseObject({}).optional(),
  }),
});

export const BatchRequestItem = z.object({
  id: z.string().min(1),
  method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']),
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  dependsOn: z.array(z.string()).optional(),
});

/** At most 20 requests per $batch. */
export const BatchRequest = z.object({ requests: z.array(BatchRequestItem).min(1).max(20) });

/** The outer status is 200 even when items fail: each item's status must be read. */
export const BatchResponseItem = z.looseObject({
  id: z.string().min(1),
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
});

export const BatchResponse = z.looseObject({ responses: z.array(BatchResponseItem) });

/** One item of a delta page; deleted items carry `@removed` and little else. */
export const DeltaItem = z.looseObject({
  id: z.string().min(1),
  '@odata.type': z.string().optional(),
  '@odata.etag': z.string().optional(),
  '@removed': z.looseObject({ reason: z.string() }).optional(),
});

export const DeltaPage = z.looseObject({
  '@odata.context': z.string().optional(),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
  value: z.array(DeltaItem),
});

export const Subscription = z.looseObject({
  id: z.string().min(1),
  resource: z.string().min(1),
  changeType: z.string().min(1),
  clientState: z.string().nullable().optional(),
  notificationUrl: z.string().min(1),
  lifecycleNotificationUrl: z.string().nullable().optional(),
  expirationDateTime: z.string().min(1),
});

export type ChangeType = z.infer<typeof ChangeType>;
export type LifecycleEvent = z.infer<typeof LifecycleEvent>;
export type ResourceData = z.infer<typeof ResourceData>;
export type ChangeNotification = z.infer<typeof ChangeNotification>;
export type ChangeNotificationCollection = z.infer<typeof ChangeNotificationCollection>;
export type LifecycleNotification = z.infer<typeof LifecycleNotification>;
export type LifecycleNotificationCollection = z.infer<typeof LifecycleNotificationCollection>;
export type GraphErrorBody = z.infer<typeof GraphErrorBody>;
export type BatchRequestItem = z.infer<typeof BatchRequestItem>;
export type BatchRequest = z.infer<typeof BatchRequest>;
export type BatchResponseItem = z.infer<typeof BatchResponseItem>;
export type BatchResponse = z.infer<typeof BatchResponse>;
export type DeltaItem = z.infer<typeof DeltaItem>;
export type DeltaPage = z.infer<typeof DeltaPage>;
export type Subscription = z.infer<typeof Subscription>;
