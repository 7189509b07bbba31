/** POST /api/graph/notifications and /api/graph/lifecycle — anonymous: Graph cannot send keys. */
import azfunc from '@azure/functions';
import { ROUTES } from '../src/handlers/routes.js';
import { httpFunction } from './lib/adapter.js';

const { app } = azfunc;
const { graphNotifications: notifications, graphLifecycle: lifecycle } = ROUTES;

export const graphNotifications = httpFunction(notifications.create);
export const graphLifecycle = httpFunction(lifecycle.create);

app.http(notifications.name, { methods: [notifications.method], authLevel: notifications.authLevel, route: notifications.route, handler: graphNotifications });
app.http(lifecycle.name, { methods: [lifecycle.method], authLevel: lifecycle.authLevel, route: lifecycle.route, handler: graphLifecycle });
