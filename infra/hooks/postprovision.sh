#!/bin/sh
# azd postprovision hook. Makes sure the service's secrets exist in Key Vault (a new random value for
# each one that does not), then has the function app resolve its Key Vault references. The secrets never
# pass through Bicep, so no deployment's parameters, history or outputs hold them.
set -eu
. "$(dirname "$0")/lib.sh"
need AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_NAME KEY_VAULT_NAME

# This provision gave the deploying principal Key Vault Secrets Officer; it can take minutes to apply.
names=$(retry 20 15 list_secrets) ||
  fail "cannot list the secrets of $KEY_VAULT_NAME (Key Vault Secrets Officer may still be propagating): run azd provision again"
has() { printf '%s\n' "$names" | grep -qx "$1"; }

has "$WEBHOOK_KEY_SECRET" || { kv_set "$WEBHOOK_KEY_SECRET" "$(new_secret)" && echo "Created secret $WEBHOOK_KEY_SECRET."; }
has "$ADMIN_KEY_SECRET" || { kv_set "$ADMIN_KEY_SECRET" "$(new_secret)" && echo "Created secret $ADMIN_KEY_SECRET."; }
# Before the first rotation the previous key is the current one (infra/scripts/rotate-key.sh).
has "$PREVIOUS_WEBHOOK_KEY_SECRET" || {
  kv_set "$PREVIOUS_WEBHOOK_KEY_SECRET" "$(kv_get "$WEBHOOK_KEY_SECRET")" && echo "Created secret $PREVIOUS_WEBHOOK_KEY_SECRET."
}

# The app's identity got Key Vault Secrets User in this provision too: retry until its references resolve.
retry 20 15 references_resolved ||
  fail "the function app cannot resolve its Key Vault references; portal: Function app > Diagnose and solve problems > Key Vault Application Settings Diagnostics"
echo "Key Vault references of $AZURE_FUNCTION_NAME are resolved."
