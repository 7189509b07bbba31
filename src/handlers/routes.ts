/**
 * The HTTP surface, once: both hosts (functions/ and src/server) register exactly these routes, so the
 * paths, methods and auth levels cannot drift apart.
 */
import { createDataverseWebhookHandler } from './dataverse-webhook.js';
import { createDecisionsApiHandler } from './decisions-api.js';
import type { HandlerDeps } from './deps.js';
import {
  createExplorerDecisionHandler,
  createExplorerHeldActionHandler,
  createExplorerHeldHandler,
  createExplorerPoisonHandler,
  createExplorerRequeueHandler,
  createExplorerSearchHandler,
  createExplorerSessionHandler,
  createExplorerSubscriptionsHandler,
} from './explorer-api.js';
import { createExplorerStaticHandler } from './explorer-static.js';
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
  // The decision explorer's APIs: admin key or (with EXPLORER_EASY_AUTH) an App Service principal, checked by the handlers.
  explorerSession: { name: 'explorerSession', method: 'GET', route: 'explorer/session', authLevel: 'anonymous', create: createExplorerSessionHandler },
  explorerSearch: { name: 'explorerSearch', method: 'GET', route: 'explorer/decisions', authLevel: 'anonymous', create: createExplorerSearchHandler },
  explorerDecision: { name: 'explorerDecision', method: 'GET', route: 'explorer/decision', authLevel: 'anonymous', create: createExplorerDecisionHandler },
  explorerHeld: { name: 'explorerHeld', method: 'GET', route: 'explorer/held', authLevel: 'anonymous', create: createExplorerHeldHandler },
  explorerHeldAction: { name: 'explorerHeldAction', method: 'POST', route: 'explorer/held', authLevel: 'anonymous', create: createExplorerHeldActionHandler },
  explorerPoison: { name: 'explorerPoison', method: 'GET', route: 'explorer/poison', authLevel: 'anonymous', create: createExplorerPoisonHandler },
  explorerRequeue: { name: 'explorerRequeue', method: 'POST', route: 'explorer/poison/requeue', authLevel: 'anonymous', create: createExplorerRequeueHandler },
  explorerSubscriptions: { name: 'explorerSubscriptions', method: 'GET', route: 'explorer/subscriptions', authLevel: 'anonymous', create: createExplorerSubscriptionsHandler },
} as const satisfies Record<string, RouteSpec>;

/**
 * The explorer's page, outside /api: Fastify serves `/explorer` and `/explorer/*`; the Functions host
 * the same through a catch-all route (host.json's routePrefix is empty, so /api/… is spelled out there).
 */
export const EXPLORER_PAGE = {
  name: 'explorerPage',
  method: 'GET',
  route: 'explorer/{*path}',
  authLevel: 'anonymous',
  create: (deps: HandlerDeps) => createExplorerStaticHandler(deps),
} as const satisfies RouteSpec;
