#!/bin/sh
# init.sh for monitoring (Prometheus), sourced by the command wrapper simple-gitops puts in front of the
# container's command, in the Prometheus container itself (its image has a busybox shell). Sourced: it must not
# `exit` on success, and it may run under `set -u`.
#
# It writes /app/prometheus.yml from
#   /etc/config/monitoring.json                  intervals and the cluster label (ConfigMap monitoring-config)
#   /etc/prometheus/scrape/scrape-configs.yml    the scrape jobs (ConfigMap prometheus-scrape)
#   /app/rules/*.yml                             alerting rules shipped in apps/monitoring/app.tar.gz
# and checks it with promtool when the image has it, so a bad commit fails here with a clear message instead of
# in a crash loop.

monitoring_fail() {
  echo "init.sh (monitoring): $*" >&2
  exit 1
}
monitoring_json() {
  [ -f "$monitoring_config" ] || return 0
  sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\}[[:space:]]*,\{0,1\}[[:space:]]*\$/\1/p" \
    "$monitoring_config" | head -n 1
}

monitoring_config="${CONFIG_PATH:-/etc/config}/monitoring.json"
monitoring_scrape="${PROMETHEUS_SCRAPE_FILE:-/etc/prometheus/scrape/scrape-configs.yml}"
monitoring_app="${APP_DIR:-/app}"
monitoring_out="$monitoring_app/prometheus.yml"
[ -f "$monitoring_config" ] || echo "init.sh (monitoring): $monitoring_config is missing; using default intervals" >&2
[ -f "$monitoring_scrape" ] || monitoring_fail "$monitoring_scrape is missing: is ConfigMap prometheus-scrape applied?"

monitoring_interval="$(monitoring_json scrape_interval)"
monitoring_evaluation="$(monitoring_json evaluation_interval)"
monitoring_cluster="$(monitoring_json cluster)"

{
  echo "# Written by init.sh at pod start; change monitoring.json or ConfigMap prometheus-scrape in git instead."
  echo "global:"
  echo "  scrape_interval: ${monitoring_interval:-30s}"
  echo "  evaluation_interval: ${monitoring_evaluation:-30s}"
  echo "  external_labels:"
  echo "    cluster: \"${monitoring_cluster:-unknown}\""
  echo "rule_files:"
  echo "  - $monitoring_app/rules/*.yml"
  echo "scrape_configs:"
  sed 's/^/  /' "$monitoring_scrape"
} >"$monitoring_out.tmp" || monitoring_fail "cannot write $monitoring_out"
mv "$monitoring_out.tmp" "$monitoring_out" || monitoring_fail "cannot write $monitoring_out"

if command -v promtool >/dev/null 2>&1; then
  promtool check config "$monitoring_out" >&2 || monitoring_fail "promtool rejected $monitoring_out (shown above)"
fi
echo "init.sh (monitoring): wrote $monitoring_out" >&2
