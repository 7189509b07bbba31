# Shared by the azd hooks (infra/hooks) and infra/scripts. Defines functions only; source it.
# Every az call runs against the azd environment's subscription (AZURE_SUBSCRIPTION_ID), never the
# CLI's default one. Secrets go to az through a file and never appear on a command line or in output.

# Secret names, as `secretNames` in infra/main.bicep (test/unit/infra/hooks.test.ts keeps them equal).
WEBHOOK_KEY_SECRET=dataverse-webhook-key
PREVIOUS_WEBHOOK_KEY_SECRET=dataverse-webhook-key-previous
ADMIN_KEY_SECRET=admin-key

fail() {
  echo "error: $*" >&2
  exit 1
}

# need NAME...: stop unless each variable is set and not empty.
need() {
  for name in "$@"; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || fail "$name is not set: run this through azd, or from a folder with an azd environment"
  done
}

# Values of the azd environment (`azd env get-values`), for scripts run outside azd. Values already in
# the shell's environment win. Each value is single-quoted for the shell, so nothing in it is run.
load_azd_env() {
  command -v azd >/dev/null 2>&1 || return 0
  assignments=$(azd env get-values --output json | node "$(dirname "$0")/../hooks/shell-assignments.mjs") || fail "azd env get-values failed"
  eval "$assignments"
}

# az against the azd environment's subscription.
azs() {
  az "$@" --subscription "$AZURE_SUBSCRIPTION_ID"
}

# arm METHOD PATH [az rest options...]: a management call on the function app. A relative URL is the
# current cloud's Resource Manager endpoint, and it names the subscription itself.
arm() {
  method=$1
  path=$2
  shift 2
  az rest --method "$method" \
    --url "/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.Web/sites/$AZURE_FUNCTION_NAME$path?api-version=2022-03-01" \
    "$@"
}

# retry ATTEMPTS SECONDS COMMAND...: run COMMAND until it succeeds, at most ATTEMPTS times.
retry() {
  attempts=$1
  pause=$2
  shift 2
  try=1
  until "$@"; do
    [ "$try" -ge "$attempts" ] && return 1
    try=$((try + 1))
    sleep "$pause"
  done
}

# 32 random bytes, base64url: safe in Dataverse's ?code= and in a header.
new_secret() {
  node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))"
}

# The secret names in the vault. Fails while this provision's role assignment is still propagating.
list_secrets() {
  azs keyvault secret list --vault-name "$KEY_VAULT_NAME" --query "[].name" -o tsv
}

kv_get() {
  azs keyvault secret show --vault-name "$KEY_VAULT_NAME" --name "$1" --query value -o tsv
}

# kv_set NAME VALUE: the value travels in a file readable only by this user, without a newline.
kv_set() {
  secret_file=$(mktemp)
  chmod 600 "$secret_file"
  printf '%s' "$2" >"$secret_file"
  status=0
  azs keyvault secret set --vault-name "$KEY_VAULT_NAME" --name "$1" --file "$secret_file" --encoding utf-8 -o none || status=$?
  rm -f "$secret_file"
  return "$status"
}

# Asks the app to fetch its Key Vault references again ("Use Key Vault references as app settings",
# Understand rotation) and succeeds once every one of them is Resolved.
references_resolved() {
  arm post /config/configreferences/appsettings/refresh -o none || return 1
  unresolved=$(arm get /config/configreferences/appsettings --query "value[?properties.status!='Resolved'].name" -o tsv) || return 1
  [ -z "$unresolved" ] || {
    echo "waiting for Key Vault references: $unresolved" >&2
    return 1
  }
}

# missing_functions EXPECTED LISTED: the names in EXPECTED (space-separated) that LISTED (one per
# line, as `az functionapp function list` prints them: "<app>/<function>") lacks.
missing_functions() {
  for expected in $1; do
    printf '%s\n' "$2" | sed 's#.*/##' | grep -qx "$expected" || printf '%s\n' "$expected"
  done
}
