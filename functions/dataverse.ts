/** POST /api/dataverse/webhook — authLevel `function`: Dataverse's WebhookKey arrives as `?code=`. */
import { ROUTES } from '../src/handlers/routes.js';
import { registerHttp } from './lib/adapter.js';

export const dataverseWebhook = registerHttp(ROUTES.dataverseWebhook);
