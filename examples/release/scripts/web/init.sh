#!/bin/sh
# init.sh for web, sourced by the command wrapper simple-gitops puts in front of `node /app/server.mjs`: what it
# exports reaches the app. Sourced: it must not `exit` on success, and it may run under `set -u`.
#
#   /etc/config/web.json      greeting, port, log_level (ConfigMap web-config)
#   /etc/secret/session-key   optional (Secret web-secret); passed as a file path, so the key stays out of the
#                             environment that `kubectl describe` and /proc show

web_fail() {
  echo "init.sh (web): $*" >&2
  exit 1
}
web_json() {
  sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\}[[:space:]]*,\{0,1\}[[:space:]]*\$/\1/p" \
    "$web_config" | head -n 1
}

web_config="${CONFIG_PATH:-/etc/config}/web.json"
web_secret="${SECRET_PATH:-/etc/secret}"
[ -f "$web_config" ] || web_fail "$web_config is missing: add web.json to the service's directory in git"

WEB_GREETING="$(web_json greeting)"
PORT="$(web_json port)"
LOG_LEVEL="$(web_json log_level)"
PORT="${PORT:-8080}"
case "$PORT" in
'' | *[!0-9]*) web_fail "port in $web_config must be a number, got: $PORT" ;;
esac
export WEB_GREETING PORT LOG_LEVEL
if [ -f "$web_secret/session-key" ]; then
  WEB_SESSION_KEY_FILE="$web_secret/session-key"
  export WEB_SESSION_KEY_FILE
else
  echo "init.sh (web): no $web_secret/session-key; sessions are signed with a random key per pod" >&2
fi
echo "init.sh (web): serving on port $PORT" >&2
