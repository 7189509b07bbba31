/**
 * The HTTP surface, once: both hosts (functions/ and src/server) register exactly these routes, so the
 * paths, methods and auth levels cannot drift apart.
 */
import { createDataverseWebhookHandler } from './dataverse-webhook.js';
import { createDecisionsApiHandler } from './decisions-api.js';
import type { HandlerDeps } from './deps.js';
import { createGraphLifecycleHandler, createGraphNotificationsHandler } from './graph-notifications.js';
import { createHealthHandler } from './health.js';
import type { Handler } from './http.js';
import { createLinksDeleteHandler, createLinksPutHandler } from './links-api.js';

export interface RouteSpec {
  /** Function name in the Functions host. */
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below /api (the Functions route prefix). */
  route: string;
  /**
   * Functions auth level: `anonymous` where the caller cannot send a key (Graph) or where the handler
   * checks its own (the Dataverse webhook's DATAVERSE_WEBHOOK_KEY, the admin API's ADMIN_KEY): one check
   * per route, the same in both hosts, so a host's function key can never disagree with the handler's.
   */
  authLevel: 'function' | 'anonymous';
  create: (deps: HandlerDeps) => Handler;
}

export const ROUTES = {
  dataverseWebhook: { name: 'dataverseWebhook', method: 'POST', route: 'dataverse/webhook', authLevel: 'anonymous', create: createDataverseWebhookHandler },
  graphNotifications: { name: 'graphNotifications', method: 'POST', route: 'graph/notifications', authLevel: 'anonymous', create: createGraphNotificationsHandler },
  graphLifecycle: { name: 'graphLifecycle', method: 'POST', route: 'graph/lifecycle', authLevel: 'anonymous', create: createGraphLifecycleHandler },
  decisions: { name: 'decisions', method: 'GET', route: 'decisions', authLevel: 'anonymous', create: createDecisionsApiHandler },
  linksPut: { name: 'linksPut', method: 'PUT', route: 'links', authLevel: 'anonymous', create: createLinksPutHandler },
  linksDelete: { name: 'linksDelete', method: 'DELETE', route: 'links', authLevel: 'anonymous', create: createLinksDeleteHandler },
  health: { name: 'health', method: 'GET', route: 'health', authLevel: 'anonymous', create: createHealthHandler },
} as const satisfies Record<string, RouteSpec>;
