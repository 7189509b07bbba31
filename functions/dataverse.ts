/** POST /api/dataverse/webhook — anonymous at the host: the handler checks Dataverse's WebhookKey (`?code=`). */
import { ROUTES } from '../src/handlers/routes.js';
import { registerHttp } from './lib/adapter.js';

export const dataverseWebhook = registerHttp(ROUTES.dataverseWebhook);
