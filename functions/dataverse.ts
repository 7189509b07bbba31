/** POST /api/dataverse/webhook — authLevel `function`: Dataverse's WebhookKey arrives as `?code=`. */
import azfunc from '@azure/functions';
import { ROUTES } from '../src/handlers/routes.js';
import { httpFunction } from './lib/adapter.js';

const { app } = azfunc;
const spec = ROUTES.dataverseWebhook;

export const dataverseWebhook = httpFunction(spec.create);

app.http(spec.name, { methods: [spec.method], authLevel: spec.authLevel, route: spec.route, handler: dataverseWebhook });
