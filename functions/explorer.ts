/** The decision explorer: its page at /explorer (static files of the build) and its JSON APIs under /api/explorer. */
import { EXPLORER_PAGE, ROUTES } from '../src/handlers/routes.js';
import { registerHttp } from './lib/adapter.js';

export const explorerPage = registerHttp(EXPLORER_PAGE, '');
export const explorerSession = registerHttp(ROUTES.explorerSession);
export const explorerSearch = registerHttp(ROUTES.explorerSearch);
export const explorerDecision = registerHttp(ROUTES.explorerDecision);
export const explorerHeld = registerHttp(ROUTES.explorerHeld);
export const explorerHeldAction = registerHttp(ROUTES.explorerHeldAction);
export const explorerPoison = registerHttp(ROUTES.explorerPoison);
export const explorerRequeue = registerHttp(ROUTES.explorerRequeue);
export const explorerSubscriptions = registerHttp(ROUTES.explorerSubscriptions);
