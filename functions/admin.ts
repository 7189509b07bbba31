/** GET /api/decisions (checks ADMIN_KEY itself) and GET /api/health — anonymous at the host. */
import azfunc from '@azure/functions';
import { ROUTES } from '../src/handlers/routes.js';
import { httpFunction } from './lib/adapter.js';

const { app } = azfunc;
const { decisions: decisionsSpec, health: healthSpec } = ROUTES;

export const decisions = httpFunction(decisionsSpec.create);
export const health = httpFunction(healthSpec.create);

app.http(decisionsSpec.name, { methods: [decisionsSpec.method], authLevel: decisionsSpec.authLevel, route: decisionsSpec.route, handler: decisions });
app.http(healthSpec.name, { methods: [healthSpec.method], authLevel: healthSpec.authLevel, route: healthSpec.route, handler: health });
