/** GET /api/decisions (checks ADMIN_KEY itself) and GET /api/health — anonymous at the host. */
import { ROUTES } from '../src/handlers/routes.js';
import { registerHttp } from './lib/adapter.js';

export const decisions = registerHttp(ROUTES.decisions);
export const health = registerHttp(ROUTES.health);
