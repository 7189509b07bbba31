/** POST /api/graph/notifications and /api/graph/lifecycle — anonymous: Graph cannot send keys. */
import { ROUTES } from '../src/handlers/routes.js';
import { registerHttp } from './lib/adapter.js';

export const graphNotifications = registerHttp(ROUTES.graphNotifications);
export const graphLifecycle = registerHttp(ROUTES.graphLifecycle);
