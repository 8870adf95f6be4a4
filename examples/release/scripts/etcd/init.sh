#!/bin/sh
# init.sh for etcd, run by the simple-gitops bootstrap at pod start, after apps/etcd/app.tar.gz is unpacked into
# /app. The etcd image keeps its own entrypoint (it has no shell), so the bootstrap init container sources this
# file under `set -eu`: it must not `exit` on success and must not read unset variables.
#
# It writes /app/etcd.conf.yml (read by etcd through ETCD_CONFIG_FILE) from
#   /app/etcd.conf.yml.tmpl    shipped in app.tar.gz
#   /etc/config/etcd.json      the service config from git (ConfigMap etcd-config)
#   /etc/secret/tls.{crt,key}  optional (Secret etcd-secret): clients then need TLS, with ca.crt client certs too
#   the pod name               etcd-N, from the StatefulSet (POD_NAME overrides it in tests)

etcd_fail() {
  echo "init.sh (etcd): $*" >&2
  exit 1
}
# etcd_json KEY prints the value of "KEY" in etcd.json, a flat object with one key per line (no jq in busybox).
etcd_json() {
  sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\}[[:space:]]*,\{0,1\}[[:space:]]*\$/\1/p" \
    "$etcd_config" | head -n 1
}

etcd_config="${CONFIG_PATH:-/etc/config}/etcd.json"
etcd_secret="${SECRET_PATH:-/etc/secret}"
etcd_app="${APP_DIR:-/app}"
[ -f "$etcd_config" ] || etcd_fail "$etcd_config is missing: add etcd.json to the service's directory in git"
[ -f "$etcd_app/etcd.conf.yml.tmpl" ] || etcd_fail "$etcd_app/etcd.conf.yml.tmpl is missing: is apps/etcd/app.tar.gz the etcd release?"

etcd_name="${POD_NAME:-$(hostname)}" # a pod's hostname is its name
etcd_ordinal="${etcd_name##*-}"
etcd_set="${etcd_name%-*}"
case "$etcd_ordinal" in
'' | *[!0-9]*) etcd_fail "pod name $etcd_name does not end in -N: run etcd as a StatefulSet" ;;
esac
etcd_size="$(etcd_json cluster_size)"
etcd_size="${etcd_size:-3}"
case "$etcd_size" in
'' | *[!0-9]*) etcd_fail "cluster_size in $etcd_config must be a number, got: $etcd_size" ;;
esac
[ "$etcd_ordinal" -lt "$etcd_size" ] || etcd_fail "$etcd_name is beyond cluster_size $etcd_size: scale the StatefulSet and cluster_size together"
etcd_peers="$(etcd_json peer_service)"
etcd_peers="${etcd_peers:-$etcd_set}"
etcd_token="$(etcd_json initial_cluster_token)"
etcd_quota="$(etcd_json quota_backend_bytes)"
etcd_retention="$(etcd_json auto_compaction_retention)"
etcd_snapshots="$(etcd_json snapshot_count)"
etcd_log_level="$(etcd_json log_level)"

etcd_initial=""
etcd_i=0
while [ "$etcd_i" -lt "$etcd_size" ]; do
  etcd_initial="${etcd_initial:+$etcd_initial,}${etcd_set}-${etcd_i}=http://${etcd_set}-${etcd_i}.${etcd_peers}:2380"
  etcd_i=$((etcd_i + 1))
done

etcd_scheme=http
if [ -f "$etcd_secret/tls.crt" ] && [ -f "$etcd_secret/tls.key" ]; then etcd_scheme=https; fi

sed -e "s|@NAME@|$etcd_name|g" \
  -e "s|@SCHEME@|$etcd_scheme|g" \
  -e "s|@PEER_URL@|http://$etcd_name.$etcd_peers:2380|g" \
  -e "s|@CLIENT_URL@|$etcd_scheme://$etcd_name.$etcd_peers:2379|g" \
  -e "s|@INITIAL_CLUSTER@|$etcd_initial|g" \
  -e "s|@TOKEN@|${etcd_token:-etcd-cluster}|g" \
  -e "s|@QUOTA_BACKEND_BYTES@|${etcd_quota:-2147483648}|g" \
  -e "s|@AUTO_COMPACTION_RETENTION@|${etcd_retention:-1h}|g" \
  -e "s|@SNAPSHOT_COUNT@|${etcd_snapshots:-10000}|g" \
  -e "s|@LOG_LEVEL@|${etcd_log_level:-info}|g" \
  "$etcd_app/etcd.conf.yml.tmpl" >"$etcd_app/etcd.conf.yml.tmp" || etcd_fail "cannot write $etcd_app/etcd.conf.yml"

if [ "$etcd_scheme" = https ]; then
  {
    echo "client-transport-security:"
    echo "  cert-file: $etcd_secret/tls.crt"
    echo "  key-file: $etcd_secret/tls.key"
    if [ -f "$etcd_secret/ca.crt" ]; then
      echo "  trusted-ca-file: $etcd_secret/ca.crt"
      echo "  client-cert-auth: true"
    fi
  } >>"$etcd_app/etcd.conf.yml.tmp" || etcd_fail "cannot write $etcd_app/etcd.conf.yml"
fi
mv "$etcd_app/etcd.conf.yml.tmp" "$etcd_app/etcd.conf.yml" || etcd_fail "cannot write $etcd_app/etcd.conf.yml"
echo "init.sh (etcd): wrote $etcd_app/etcd.conf.yml for $etcd_name ($etcd_scheme clients, $etcd_size members)" >&2
