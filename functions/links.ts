/** PUT and DELETE /api/links (check ADMIN_KEY themselves) — anonymous at the host. */
import { ROUTES } from '../src/handlers/routes.js';
import { registerHttp } from './lib/adapter.js';

export const linksPut = registerHttp(ROUTES.linksPut);
export const linksDelete = registerHttp(ROUTES.linksDelete);
