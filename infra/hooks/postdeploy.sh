#!/bin/sh
# azd postdeploy hook. Dataverse's WebhookKey authentication sends the key as `?code=`. The webhook
# route is authLevel "function", so the Functions host checks `code` against the app's function keys
# before the handler checks it against DATAVERSE_WEBHOOK_KEY: both must hold the same value.
# azd runs this with the environment's values (outputs of infra/main.bicep and `azd env set` values).
set -eu
: "${AZURE_RESOURCE_GROUP:?run through azd (azd deploy) or export AZURE_RESOURCE_GROUP}"
: "${AZURE_FUNCTION_NAME:?run through azd (azd deploy) or export AZURE_FUNCTION_NAME}"
: "${DATAVERSE_WEBHOOK_KEY:?set it with: azd env set DATAVERSE_WEBHOOK_KEY <16+ characters>}"

az functionapp function keys set \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "$AZURE_FUNCTION_NAME" \
  --function-name dataverseWebhook \
  --key-name dataverse \
  --key-value "$DATAVERSE_WEBHOOK_KEY" \
  --output none
echo "Function key 'dataverse' of dataverseWebhook matches DATAVERSE_WEBHOOK_KEY."
