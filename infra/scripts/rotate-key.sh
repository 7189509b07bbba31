#!/bin/sh
# Replaces a key in one step (docs/operator-guide.md, "Renewing secrets").
#   sh infra/scripts/rotate-key.sh webhook   new Dataverse webhook key; no delivery is refused on the way
#   sh infra/scripts/rotate-key.sh admin     new admin API key
# Run it from the repository with the azd environment selected. The webhook rotation also signs in to
# Dataverse like `delete-sync register` (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).
set -eu
cd "$(dirname "$0")/../.."
. infra/hooks/lib.sh
load_azd_env
need AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_NAME KEY_VAULT_NAME

# The key Dataverse's webhook endpoint holds, told by `delete-sync register --dry-run` (which compares
# the key with the check it stored, since Dataverse never returns the key): 0 if it holds KEY.
dataverse_holds() {
  plan=$(DATAVERSE_WEBHOOK_KEY=$1 npm run --silent delete-sync -- register --endpoint "$DATAVERSE_WEBHOOK_URL" --dry-run --json) || fail "delete-sync register --dry-run failed"
  printf '%s' "$plan" | node -e '
    let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
      const endpoint = JSON.parse(s).items.find((i) => i.kind === "endpoint");
      process.exit(endpoint && endpoint.action !== "create" && !endpoint.changes.includes("authvalue") ? 0 : 1);
    });'
}

# The app answers 400 to an empty body it authenticated and 401 to a wrong key. Five answers in a row,
# so every running instance has the new settings. The key reaches curl on stdin, not the command line.
app_accepts() {
  for _ in 1 2 3 4 5; do
    status=$(printf 'url = "%s?code=%s"\n' "$DATAVERSE_WEBHOOK_URL" "$1" |
      curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X POST -H 'content-type: application/json' --data '{}' -K -) || return 1
    [ "$status" = 400 ] || return 1
    sleep 2
  done
}

register_key() {
  DATAVERSE_WEBHOOK_KEY=$1 npm run --silent delete-sync -- register --endpoint "$DATAVERSE_WEBHOOK_URL" >/dev/null ||
    fail "delete-sync register failed; Dataverse still sends a key the app accepts. Run this again."
}

rotate_webhook() {
  need DATAVERSE_URL DATAVERSE_WEBHOOK_URL
  current=$(kv_get "$WEBHOOK_KEY_SECRET")
  previous=$(kv_get "$PREVIOUS_WEBHOOK_KEY_SECRET")
  if dataverse_holds "$current"; then
    # 1. The app accepts the current key (as previous) and a new one, before Dataverse sends the new one.
    next=$(new_secret)
    kv_set "$PREVIOUS_WEBHOOK_KEY_SECRET" "$current"
    kv_set "$WEBHOOK_KEY_SECRET" "$next"
  elif [ "$previous" != "$current" ] && dataverse_holds "$previous"; then
    # An earlier run stopped before Dataverse took the new key: finish that one.
    next=$current
  else
    fail "Dataverse holds neither key in $KEY_VAULT_NAME; register the current one first (docs/deploy.md, delete-sync register)"
  fi
  retry 20 15 references_resolved || fail "the app has not resolved the new key; Dataverse still sends the old one, which stays valid. Run this again."
  retry 12 10 app_accepts "$next" || fail "the app does not accept the new key yet; Dataverse still sends the old one, which stays valid. Run this again."
  # 2. Dataverse switches; the old key stays valid (as previous) until the next rotation.
  register_key "$next"
  echo "Dataverse now sends the new webhook key. The old one stays accepted until the next rotation; after a leak, rotate twice."
}

rotate_admin() {
  kv_set "$ADMIN_KEY_SECRET" "$(new_secret)"
  retry 20 15 references_resolved || fail "the app has not resolved the new admin key yet; run this again"
  echo "New admin key in $KEY_VAULT_NAME (secret $ADMIN_KEY_SECRET); callers of /api/decisions and /api/links need it."
}

case "${1:-}" in
  webhook) rotate_webhook ;;
  admin) rotate_admin ;;
  *)
    echo "usage: sh infra/scripts/rotate-key.sh webhook|admin" >&2
    exit 2
    ;;
esac
