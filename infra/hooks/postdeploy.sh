#!/bin/sh
# azd postdeploy hook. After a deployment the Functions host indexes the new package; until it has,
# the function list is empty or partial. Waits until every function is there, the Key Vault references
# are resolved and /api/health answers, then says what is left to do.
set -eu
. "$(dirname "$0")/lib.sh"
need AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_NAME PUBLIC_BASE_URL

# Every function the app registers (functions/*.ts); test/unit/infra/hooks.test.ts keeps this list equal.
EXPECTED_FUNCTIONS="dataverseWebhook decisions explorerDecision explorerHeld explorerHeldAction explorerPage explorerPoison explorerRequeue explorerSearch explorerSession explorerSubscriptions graphLifecycle graphNotifications health linksDelete linksPut processChanges subscriptionCheck todoPoll"

all_indexed() {
  listed=$(azs functionapp function list --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_NAME" --query "[].name" -o tsv) || return 1
  missing=$(missing_functions "$EXPECTED_FUNCTIONS" "$listed")
  [ -z "$missing" ] || {
    echo "waiting for the host to index:" $missing >&2
    return 1
  }
}

healthy() {
  curl -fsS -o /dev/null --max-time 30 "$PUBLIC_BASE_URL/api/health"
}

retry 40 15 all_indexed || fail "functions still missing after 10 minutes: see the deployment log (function app > Deployment Center in the portal)"
retry 20 15 references_resolved || fail "Key Vault references do not resolve (run azd provision, which creates the secrets)"
retry 20 15 healthy || fail "$PUBLIC_BASE_URL/api/health does not answer 200"

echo "Deployed: $PUBLIC_BASE_URL (every function indexed, secrets resolved, health OK)."
echo "Next (docs/deploy.md): delete-sync register, then delete-sync doctor."
