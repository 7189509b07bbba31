/**
 * Registers the service's webhook for appointment Delete in the sandbox Dataverse with the code behind
 * `delete-sync register` (service endpoint with WebhookKey, asynchronous PostOperation step, pre-image
 * with the columns the service reads), keeping only that step: Create and Update webhooks would add load
 * the fan-out does not measure.
 */
import type { DataverseClient } from '../src/dataverse/client.js';
import { applyPlan, planRegistration, readMessageFilters, readRegistration } from '../src/dataverse/registration.js';

const MEASURED = new Set(['endpoint', 'step:Delete:appointment', 'image:Delete:appointment']);

export async function registerDeleteWebhook(dataverse: DataverseClient, dataverseUrl: string, webhookUrl: string, webhookKey: string): Promise<void> {
  const target = { dataverseUrl, endpointUrl: webhookUrl, key: webhookKey };
  const plan = planRegistration(target, await readRegistration(dataverse), await readMessageFilters(dataverse));
  await applyPlan(dataverse, { items: plan.items.filter((item) => MEASURED.has(item.key)) });
}
