/**
 * Registers the service's webhook for appointment Delete in the sandbox Dataverse, through the Web API
 * as an administrator would (service endpoint with WebhookKey, asynchronous PostOperation step, pre-image
 * with the columns the policy reads).
 */
import type { DataverseClient } from '../src/dataverse/client.js';

const PRE_IMAGE_COLUMNS = 'activityid,statecode,statuscode,scheduledstart,scheduledend,globalobjectid,ownerid,organizer,requiredattendees,optionalattendees,instancetypecode';

export async function registerDeleteWebhook(dataverse: DataverseClient, webhookUrl: string, webhookKey: string): Promise<void> {
  const endpointId = await dataverse.create('serviceendpoints', {
    name: 'delete-sync bench',
    contract: 8, // Webhook
    authtype: 4, // WebhookKey: sent as ?code=
    authvalue: webhookKey,
    url: webhookUrl,
    messageformat: 2, // JSON
    namespaceformat: 2,
    userclaim: 1,
    connectionmode: 1,
  });
  const [message] = await dataverse.list<{ sdkmessageid: string }>('sdkmessages', { select: ['sdkmessageid'], filter: "name eq 'Delete'" });
  if (!message) throw new Error('the sandbox has no Delete sdkmessage');
  const [filter] = await dataverse.list<{ sdkmessagefilterid: string }>('sdkmessagefilters', {
    select: ['sdkmessagefilterid'],
    filter: `_sdkmessageid_value eq ${message.sdkmessageid} and primaryobjecttypecode eq 'appointment'`,
  });
  if (!filter) throw new Error('the sandbox has no Delete filter for appointment');
  const stepId = await dataverse.create('sdkmessageprocessingsteps', {
    name: 'delete-sync bench: Delete of appointment',
    stage: 40,
    mode: 1, // asynchronous
    rank: 1,
    supporteddeployment: 0,
    asyncautodelete: true,
    'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${endpointId})`,
    'sdkmessageid@odata.bind': `/sdkmessages(${message.sdkmessageid})`,
    'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${filter.sdkmessagefilterid})`,
  });
  await dataverse.create('sdkmessageprocessingstepimages', {
    name: 'PreImage',
    entityalias: 'PreImage',
    imagetype: 0,
    messagepropertyname: 'Target',
    attributes: PRE_IMAGE_COLUMNS,
    'sdkmessageprocessingstepid@odata.bind': `/sdkmessageprocessingsteps(${stepId})`,
  });
}
