#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the e2e tests: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and KWOK (fake nodes and kubelets), all built from source through the Go module proxy and cached
# by version outside the checkout; and, where the machine can run one, a real node (scripts/real-node.sh).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=test-cluster.versions
source "${SCRIPT_DIR}/test-cluster.versions"

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/simple-gitops"
K8S_DIR="${CACHE_ROOT}/k8s-${KUBERNETES_VERSION}"
ETCD_DIR="${CACHE_ROOT}/etcd-${ETCD_VERSION}"
KWOK_DIR="${CACHE_ROOT}/kwok-${KWOK_VERSION}"
RUN_DIR="${SIMPLE_GITOPS_CLUSTER_DIR:-${TMPDIR:-/tmp}/simple-gitops-cluster}"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# The real node: its name is here because the cluster's CA issues its kubelet's identity, system:node:<name>.
REAL_NODE_NAME=real-0
# kubelet and kube-proxy run the real node (scripts/real-node.sh); one go build shares the compile work of all five.
K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

log() { printf '[test-cluster] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Takes an exclusive lock on a file through the given descriptor, for as long as this script runs.
lock() {
  local fd="$1" file="$2" holder="$3"
  eval "exec ${fd}>\"\$file\""
  if ! flock -n "$fd"; then
    log "waiting for ${holder} to finish (lock ${file})"
    flock "$fd"
  fi
}

# Seconds since the epoch, used to report how long each build step took.
now() { date +%s; }

# --- build ------------------------------------------------------------------------------------------------------

# Kubernetes' go.mod replaces each staging module (k8s.io/api, k8s.io/client-go, ...) with a local path and requires
# it at v0.0.0, so a module that depends on k8s.io/kubernetes must pin each of them to the matching v0.Y.Z itself.
# The list is read from the release's own go.mod so that a version bump needs no edit here.
write_k8s_wrapper() {
  local wrapper="$1" staging_version gomod
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  gomod="$(cd "$wrapper" && go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$gomod" ]] || die "could not download the go.mod of k8s.io/kubernetes@${KUBERNETES_VERSION}"
  {
    printf 'module simple-gitops.local/k8s-build\n\ngo 1.25.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' \
      "$KUBERNETES_VERSION"
    sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*#\1#p' "$gomod" |
      while read -r module; do printf '\t%s => %s %s\n' "$module" "$module" "$staging_version"; done
    printf ')\n'
  } >"${wrapper}/go.mod.new"
  mv "${wrapper}/go.mod.new" "${wrapper}/go.mod"
}

build_kubernetes() {
  local bin="${K8S_DIR}/bin" wrapper="${K8S_DIR}/wrapper" start minor
  local component missing=0
  for component in "${K8S_BINARIES[@]}"; do [[ -x "${bin}/${component}" ]] || missing=1; done
  ((missing)) || return 0
  start="$(now)"
  log "building ${K8S_BINARIES[*]} ${KUBERNETES_VERSION} into ${bin}" \
    "(first run takes 10-20 min on 2 cores; later runs use the cache)"
  mkdir -p "$wrapper"
  # go mod download needs some module to run in; the real go.mod is written right after.
  printf 'module simple-gitops.local/k8s-build\n\ngo 1.25.0\n' >"${wrapper}/go.mod"
  write_k8s_wrapper "$wrapper"
  minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  # Without these the binaries report v0.0.0-master and kubectl warns about version skew.
  local ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor}"
  # Build into a scratch directory and move into place, so an interrupted build never looks cached.
  rm -rf "${K8S_DIR}/bin.partial"
  mkdir -p "${K8S_DIR}/bin.partial"
  (cd "$wrapper" && go build -mod=mod -trimpath -ldflags "$ldflags" -o "${K8S_DIR}/bin.partial/" \
    "${K8S_BINARIES[@]/#/k8s.io/kubernetes/cmd/}")
  rm -rf "$bin"
  mv "${K8S_DIR}/bin.partial" "$bin"
  log "built Kubernetes ${KUBERNETES_VERSION} in $(($(now) - start))s"
}

build_etcd() {
  local bin="${ETCD_DIR}/bin" wrapper="${ETCD_DIR}/wrapper" start
  [[ -x "${bin}/etcd" ]] && return
  start="$(now)"
  log "building etcd ${ETCD_VERSION} into ${bin} (first run takes ~1.5 min on 2 cores)"
  mkdir -p "$wrapper" "$bin"
  # etcd's server module has replace directives, so `go install ...@version` refuses it; a module requiring it builds.
  printf 'module simple-gitops.local/etcd-build\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$ETCD_VERSION" >"${wrapper}/go.mod"
  (cd "$wrapper" && go build -mod=mod -trimpath -ldflags "-s -w" -o "${bin}/etcd.partial" go.etcd.io/etcd/server/v3)
  mv "${bin}/etcd.partial" "${bin}/etcd"
  log "built etcd ${ETCD_VERSION} in $(($(now) - start))s"
}

build_kwok() {
  local bin="${KWOK_DIR}/bin" stage="${KWOK_DIR}/stage" start module_dir
  if [[ ! -x "${bin}/kwok" ]]; then
    start="$(now)"
    log "building kwok ${KWOK_VERSION} into ${bin} (first run takes ~4 min on 2 cores)"
    mkdir -p "$bin"
    GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
    log "built kwok ${KWOK_VERSION} in $(($(now) - start))s"
  fi
  if [[ ! -d "$stage" ]]; then
    # From v0.8.0 kwok has no built-in stages: it needs the node and pod lifecycle files its module ships.
    module_dir="$(go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -d "${module_dir}/kustomize/stage" ]] || die "no kustomize/stage in sigs.k8s.io/kwok@${KWOK_VERSION}"
    rm -rf "${stage}.partial"
    mkdir -p "${stage}.partial"
    cp "${module_dir}/kustomize/stage/node/fast/node-initialize.yaml" "${stage}.partial/node-fast.yaml"
    cp "${module_dir}/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
      "${stage}.partial/node-heartbeat-with-lease.yaml"
    cp "${module_dir}/kustomize/stage/pod/fast/"pod-*.yaml "${stage}.partial/"
    chmod -R u+w "${stage}.partial"
    rm -rf "$stage"
    mv "${stage}.partial" "$stage"
  fi
}

build_all() {
  command -v go >/dev/null || die "go is required to build the test cluster"
  mkdir -p "$CACHE_ROOT"
  # Two test runs starting at once must not build into the same directories.
  lock 8 "${CACHE_ROOT}/build.lock" "another build of the test cluster"
  build_kubernetes
  build_etcd
  build_kwok
}

# --- run directory ----------------------------------------------------------------------------------------------

# Pid files are matched against the run directory, so it must be absolute however it was given.
RUN_DIR="$(realpath -m "$RUN_DIR")"
PKI_DIR="${RUN_DIR}/pki"
KUBECONFIG_PATH="${RUN_DIR}/kubeconfig"
PORTS_FILE="${RUN_DIR}/ports.env"

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$RUN_DIR" "$1"; }

# Prints the pid of a component this run directory started, if that process is still alive.
running_pid() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # After a crash or a reboot the pid may belong to someone else: trust it only if its command line names our dir.
  ps -o args= -p "$pid" 2>/dev/null | grep -qF -- "$RUN_DIR" || return 1
  printf '%s\n' "$pid"
}

apiserver_ready() {
  [[ -f "$KUBECONFIG_PATH" ]] && kubectl --kubeconfig="$KUBECONFIG_PATH" --request-timeout=5s get --raw /readyz \
    >/dev/null 2>&1
}

healthy() {
  local component
  for component in "${COMPONENTS[@]}"; do running_pid "$component" >/dev/null || return 1; done
  apiserver_ready
}

# A process that has exited but not yet been reaped by whoever adopted it still answers `kill -0`: that is not alive.
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ "$state" != Z* ]]
}

# Stops exactly the processes named by the given components' pid files, together, and waits for them to exit.
stop_components() {
  local component pid waited pids=()
  for component in "$@"; do
    if pid="$(running_pid "$component")"; then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    waited=0
    while alive "$pid"; do
      if ((waited == 100)); then
        log "pid ${pid} ignored SIGTERM for 10s: sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
      fi
      sleep 0.1
      waited=$((waited + 1))
    done
  done
  for component in "$@"; do rm -f "$(pid_file "$component")"; done
}

# Runs scripts/real-node.sh with this cluster's directory, binaries and node name.
real_node() {
  SIMPLE_GITOPS_CLUSTER_DIR="$RUN_DIR" REAL_NODE_NAME="$REAL_NODE_NAME" REAL_NODE_BIN="${K8S_DIR}/bin" \
    "${SCRIPT_DIR}/real-node.sh" "$@"
}

# Starts the real node when this machine can run one (root, the Debian packages .ci/run installs), else says why not.
start_real_node() {
  local why
  if why="$(real_node check)"; then
    real_node up
  else
    log "no real node ${REAL_NODE_NAME}: $(paste -sd ';' <<<"$why" | sed 's/;/; /g')"
  fi
}

# Clients first, so nothing logs a lost apiserver or a lost etcd on its way out; the real node first of all, while
# the apiserver can still tell its kubelet to stop the pods. Fails when the real node left the host changed.
stop_all() {
  local status=0
  real_node down || status=$?
  stop_components kwok kube-scheduler kube-controller-manager
  stop_components kube-apiserver
  stop_components etcd
  return "$status"
}

# Prints where every log is and the end of the failing component's log, stops what was started, and exits.
fail() {
  local component="$1" component_log c
  trap - ERR
  shift
  log "error: $*"
  if [[ -n "$component" ]]; then
    component_log="$(log_file "$component")"
    if [[ -f "$component_log" ]]; then
      log "last lines of ${component_log}:"
      tail -n 40 "$component_log" >&2
    fi
  fi
  log "logs:"
  for c in "${RUN_DIR}"/*.log; do [[ -f "$c" ]] && log "  ${c}"; done
  log "stopping what was started; the logs stay in ${RUN_DIR} until \`$0 down\` or the next \`up\`"
  stop_all || true
  exit 1
}

# Runs a check every half second until it passes, failing early if the component it waits for has died.
wait_until() {
  local component="$1" timeout_s="$2" what="$3" deadline
  shift 3
  deadline=$(($(now) + timeout_s))
  until "$@" >/dev/null 2>&1; do
    running_pid "$component" >/dev/null || fail "$component" "${component} exited while waiting for ${what}"
    (($(now) < deadline)) || fail "$component" "timed out after ${timeout_s}s waiting for ${what}"
    sleep 0.5
  done
}

start() {
  local component="$1" binary="$2"
  shift 2
  # New session: a Ctrl-C in the terminal that ran `up` must not take the cluster down with it.
  # The lock descriptors are closed so that a running cluster does not hold them.
  setsid "$binary" "$@" >"$(log_file "$component")" 2>&1 </dev/null 8>&- 9>&- &
  printf '%s\n' "$!" >"$(pid_file "$component")"
}

# Asks the kernel for free loopback ports, holding them all open until every one is chosen so none repeats.
pick_ports() {
  node -e '
    const net = require("node:net");
    const names = process.argv.slice(1);
    const servers = names.map(() => net.createServer());
    Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", ok)))).then(() => {
      for (const [i, name] of names.entries()) console.log(`${name}=${servers[i].address().port}`);
      for (const s of servers) s.close();
    });
  ' ETCD_CLIENT_PORT ETCD_PEER_PORT APISERVER_PORT CONTROLLER_MANAGER_PORT SCHEDULER_PORT >"$PORTS_FILE"
}

sign() {
  local name="$1" subject="$2" extensions="$3"
  openssl req -new -newkey rsa:2048 -nodes -keyout "${name}.key" -out "${name}.csr" -subj "$subject"
  openssl x509 -req -in "${name}.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" -days 7 \
    -extfile <(printf '%s\n' "$extensions") -out "${name}.crt"
  rm -f "${name}.csr"
}

# One CA signs the apiserver's serving certificate and one client certificate per client. The controller-manager and
# scheduler get their own identities so that the RBAC bootstrap roles they rely on in a real cluster are exercised.
make_pki() {
  mkdir -p "$PKI_DIR"
  (
    cd "$PKI_DIR"
    trap - ERR # a failure here reaches the caller's trap once, as this subshell's exit status
    # openssl reports progress on stderr; keep it, and any error, out of the way but findable.
    exec 2>>"$(log_file openssl)"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 7 -subj /CN=simple-gitops-test-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
    sign apiserver /CN=kube-apiserver \
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc,IP:10.96.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
    sign admin /O=system:masters/CN=simple-gitops-admin extendedKeyUsage=clientAuth
    sign controller-manager /CN=system:kube-controller-manager extendedKeyUsage=clientAuth
    sign scheduler /CN=system:kube-scheduler extendedKeyUsage=clientAuth
    sign front-proxy-client /CN=front-proxy-client extendedKeyUsage=clientAuth
    # The real node's kubelet and kube-proxy, as a real cluster names them (the Node authorizer and the bootstrap
    # role system:node-proxier), and the apiserver's identity towards kubelets (logs, exec, port-forward).
    sign kubelet "/O=system:nodes/CN=system:node:${REAL_NODE_NAME}" extendedKeyUsage=clientAuth
    sign kube-proxy /CN=system:kube-proxy extendedKeyUsage=clientAuth
    sign apiserver-kubelet-client /O=system:masters/CN=kube-apiserver-kubelet-client extendedKeyUsage=clientAuth
  )
}

write_kubeconfig() {
  local file="$1" user="$2"
  kubectl config set-cluster simple-gitops-test --kubeconfig="$file" --server="https://127.0.0.1:${APISERVER_PORT}" \
    --certificate-authority="${PKI_DIR}/ca.crt" --embed-certs=true >/dev/null
  kubectl config set-credentials "$user" --kubeconfig="$file" --client-certificate="${PKI_DIR}/${user}.crt" \
    --client-key="${PKI_DIR}/${user}.key" --embed-certs=true >/dev/null
  kubectl config set-context simple-gitops-test --kubeconfig="$file" --cluster=simple-gitops-test --user="$user" \
    >/dev/null
  kubectl config use-context simple-gitops-test --kubeconfig="$file" >/dev/null
}

etcd_healthy() { curl -sf "http://127.0.0.1:${ETCD_CLIENT_PORT}/health" | grep -q '"health":"true"'; }

nodes_ready() {
  kubectl --kubeconfig="$KUBECONFIG_PATH" wait --for=condition=Ready node/mgmt-0 node/worker-0 --timeout=5s
}

default_service_account() { kubectl --kubeconfig="$KUBECONFIG_PATH" -n default get serviceaccount default; }

# The Nodes KWOK plays the kubelet for: it manages exactly those carrying its annotation.
fake_nodes() {
  local name
  for name in mgmt-0 worker-0; do
    printf -- '---\napiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n' "$name"
    printf '  annotations:\n    kwok.x-k8s.io/node: fake\n'
    printf '  labels:\n    type: kwok\n    kubernetes.io/hostname: %s\n' "$name"
    printf '    kubernetes.io/os: linux\n    kubernetes.io/arch: amd64\n'
    if [[ "$name" == mgmt-0 ]]; then printf '    node-role.nokube.io/management: "true"\n'; fi
  done
}

# etcd and kube-apiserver are started by functions of their own, so that `restart` starts them with the same flags.
start_etcd() {
  log "starting etcd on 127.0.0.1:${ETCD_CLIENT_PORT}"
  local peer="http://127.0.0.1:${ETCD_PEER_PORT}" client="http://127.0.0.1:${ETCD_CLIENT_PORT}"
  # --unsafe-no-fsync: the data is thrown away after the tests, and fsync dominates write latency on CI disks.
  start etcd "${ETCD_DIR}/bin/etcd" --name=node0 --data-dir="${RUN_DIR}/etcd-data" \
    --listen-client-urls="$client" --advertise-client-urls="$client" \
    --listen-peer-urls="$peer" --initial-advertise-peer-urls="$peer" --initial-cluster="node0=${peer}" \
    --auto-compaction-retention=1 --unsafe-no-fsync
}

start_apiserver() {
  local client="http://127.0.0.1:${ETCD_CLIENT_PORT}"
  log "starting kube-apiserver on https://127.0.0.1:${APISERVER_PORT}"
  # --requestheader-*/--proxy-client-*: the aggregation layer's front proxy, set as kubeadm sets it; without it every
  # component that delegates authentication keeps logging a missing requestheader CA.
  # --endpoint-reconciler-type=none: the `kubernetes` Service may not point at a loopback address, so writing its
  # endpoints would fail every 10s; scripts/real-node.sh writes an EndpointSlice to a relay on its bridge instead.
  # --kubelet-preferred-address-types=InternalIP: the real node's Hostname does not resolve; its InternalIP does.
  start kube-apiserver "${K8S_DIR}/bin/kube-apiserver" \
    --etcd-servers="$client" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --cert-dir="$PKI_DIR" \
    --tls-cert-file="${PKI_DIR}/apiserver.crt" --tls-private-key-file="${PKI_DIR}/apiserver.key" \
    --client-ca-file="${PKI_DIR}/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="${PKI_DIR}/sa.pub" --service-account-signing-key-file="${PKI_DIR}/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --authorization-mode=Node,RBAC \
    --allow-privileged=true \
    --requestheader-client-ca-file="${PKI_DIR}/ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="${PKI_DIR}/front-proxy-client.crt" \
    --proxy-client-key-file="${PKI_DIR}/front-proxy-client.key" \
    --endpoint-reconciler-type=none \
    --kubelet-client-certificate="${PKI_DIR}/apiserver-kubelet-client.crt" \
    --kubelet-client-key="${PKI_DIR}/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP
}

cmd_up() {
  local started tool
  started="$(now)"
  if healthy; then
    log "already running from ${RUN_DIR}"
    start_real_node || die "the real node ${REAL_NODE_NAME} did not come up"
    printf 'KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
    return
  fi
  for tool in go openssl kubectl node curl setsid; do
    command -v "$tool" >/dev/null || die "${tool} is required"
  done
  if [[ -d "$RUN_DIR" ]]; then
    log "found a stopped or unhealthy cluster in ${RUN_DIR}: removing it"
    stop_all || true
    rm -rf "$RUN_DIR"
  fi
  build_all >&2

  mkdir -p "$RUN_DIR"
  # From here on a failure has logs worth pointing at, and must not leave half a cluster running.
  set -E
  trap 'fail "" "unexpected failure at line ${LINENO}"' ERR
  pick_ports
  # shellcheck source=/dev/null
  source "$PORTS_FILE"
  make_pki
  write_kubeconfig "$KUBECONFIG_PATH" admin
  write_kubeconfig "${RUN_DIR}/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "${RUN_DIR}/scheduler.kubeconfig" scheduler
  write_kubeconfig "${RUN_DIR}/kubelet.kubeconfig" kubelet
  write_kubeconfig "${RUN_DIR}/kube-proxy.kubeconfig" kube-proxy

  start_etcd
  wait_until etcd 60 "etcd health" etcd_healthy

  start_apiserver
  wait_until kube-apiserver 120 "kube-apiserver /readyz" apiserver_ready

  log "starting kube-controller-manager, kube-scheduler and kwok"
  local cm_kubeconfig="${RUN_DIR}/controller-manager.kubeconfig" sched_kubeconfig="${RUN_DIR}/scheduler.kubeconfig"
  start kube-controller-manager "${K8S_DIR}/bin/kube-controller-manager" \
    --kubeconfig="$cm_kubeconfig" \
    --authentication-kubeconfig="$cm_kubeconfig" --authorization-kubeconfig="$cm_kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" \
    --root-ca-file="${PKI_DIR}/ca.crt" --service-account-private-key-file="${PKI_DIR}/sa.key" \
    --use-service-account-credentials=true \
    --leader-elect=false
  start kube-scheduler "${K8S_DIR}/bin/kube-scheduler" \
    --kubeconfig="$sched_kubeconfig" \
    --authentication-kubeconfig="$sched_kubeconfig" --authorization-kubeconfig="$sched_kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
    --leader-elect=false
  local stages
  stages="$(printf '%s,' "${KWOK_DIR}/stage/"*.yaml)"
  # No --node-port or --server-address: kwok then serves nothing, where its kubelet API would listen on 0.0.0.0.
  start kwok "${KWOK_DIR}/bin/kwok" \
    --kubeconfig="$KUBECONFIG_PATH" \
    --config="${stages%,}" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 \
    --node-lease-duration-seconds=40

  log "creating fake nodes mgmt-0 and worker-0"
  fake_nodes | kubectl --kubeconfig="$KUBECONFIG_PATH" apply -f - >/dev/null ||
    fail kube-apiserver "could not create the fake nodes"
  wait_until kwok 60 "nodes mgmt-0 and worker-0 Ready" nodes_ready
  wait_until kube-controller-manager 60 "the default ServiceAccount" default_service_account
  healthy || fail "" "a component exited during start-up"
  start_real_node || fail "" "the real node ${REAL_NODE_NAME} did not come up"
  log "cluster up in $(($(now) - started))s; logs in ${RUN_DIR}"
  printf 'KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
}

# The fault suite's outages: freeze (pause/resume), kill -9 and start again (kill/restart) one component, briefly.
FAULT_COMPONENTS=(etcd kube-apiserver)

fault_pid() {
  local component="$1" pid
  [[ " ${FAULT_COMPONENTS[*]} " == *" ${component} "* ]] || die "${component}: expected one of ${FAULT_COMPONENTS[*]}"
  pid="$(running_pid "$component")" || die "${component} is not running from ${RUN_DIR}"
  printf '%s\n' "$pid"
}

cmd_fault() {
  local action="$1" component="${2:-}" pid deadline
  # shellcheck source=/dev/null
  source "$PORTS_FILE"
  case "$action" in
  pause) kill -STOP "$(fault_pid "$component")" ;;
  resume) kill -CONT "$(fault_pid "$component")" ;;
  kill)
    pid="$(fault_pid "$component")"
    kill -9 "$pid"
    while alive "$pid"; do sleep 0.1; done
    rm -f "$(pid_file "$component")"
    ;;
  restart)
    [[ " ${FAULT_COMPONENTS[*]} " == *" ${component} "* ]] || die "${component}: expected one of ${FAULT_COMPONENTS[*]}"
    running_pid "$component" >/dev/null && die "${component} is still running"
    if [[ "$component" == etcd ]]; then start_etcd; else start_apiserver; fi
    deadline=$(($(now) + 120))
    until if [[ "$component" == etcd ]]; then etcd_healthy; else apiserver_ready; fi; do
      (($(now) < deadline)) || die "${component} did not become ready within 120s; see $(log_file "$component")"
      sleep 0.5
    done
    ;;
  esac
  log "${action} ${component}: done"
}

cmd_down() {
  if [[ ! -d "$RUN_DIR" ]]; then
    log "no cluster in ${RUN_DIR}"
    return
  fi
  local status=0
  stop_all || status=$?
  rm -rf "$RUN_DIR"
  log "stopped and removed ${RUN_DIR}"
  return "$status"
}

cmd_status() {
  local component pid state=0
  for component in "${COMPONENTS[@]}"; do
    if pid="$(running_pid "$component")"; then
      printf '%-24s up (pid %s), log %s\n' "$component" "$pid" "$(log_file "$component")"
    else
      printf '%-24s down\n' "$component"
      state=1
    fi
  done
  if apiserver_ready; then
    printf '%-24s ok\n' readyz
  else
    printf '%-24s failing\n' readyz
    state=1
  fi
  real_node status || state=1
  printf 'KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
  return "$state"
}

usage() {
  local me
  me="$(basename "$0")"
  cat <<USAGE
Usage: ${me} up|down|env|status|build|pause|resume|kill|restart|real-node|--help

A Kubernetes ${KUBERNETES_VERSION} control plane on 127.0.0.1 for the e2e tests: etcd ${ETCD_VERSION}, kube-apiserver,
kube-controller-manager, kube-scheduler and KWOK ${KWOK_VERSION}, with fake nodes mgmt-0 (labelled
node-role.nokube.io/management=true) and worker-0. Versions are pinned in scripts/test-cluster.versions.
Where the machine can (root; Debian's runc containerd umoci containernetworking-plugins socat busybox-static gcc),
also a real node ${REAL_NODE_NAME} (containerd, kubelet, kube-proxy; scripts/real-node.sh), labelled and tainted
node.simple-gitops.io/real=true:NoSchedule so that only pods tolerating the taint run there.

  up       build what is missing into ${CACHE_ROOT} (the first build takes ~15 min on 2 cores),
           start the cluster on free ports, wait until it is ready, print KUBECONFIG=... on stdout.
           A healthy cluster already running from the run directory is reported and left alone (its real node
           is started if it is missing).
  down     take the real node down and check the host is as it found it (exit 3 if not), stop exactly the
           processes named by the pid files, then remove the run directory
  env      print KUBECONFIG=...  (export "\$(${me} env)")
  status   print each component up or down, the real node's state (or why this machine cannot run one) and the
           kubeconfig path; exit 1 unless all are up
  build    only build and cache the binaries
  pause|resume COMPONENT   freeze (SIGSTOP) or thaw (SIGCONT) etcd or kube-apiserver, for the fault tests
  kill|restart COMPONENT   kill -9 etcd or kube-apiserver, or start it again with its flags and wait until ready
  real-node check|up|down|status|import ARCHIVE REF...|snapshot|audit
           the real node alone: whether this machine can run it, start or stop it, import an image built by
           scripts/images/build.sh, print the host state it touches, compare that with before its last up

Environment:
  SIMPLE_GITOPS_CLUSTER_DIR  run directory: pid files, <component>.log, certificates, kubeconfig
                             (now ${RUN_DIR})
  SIMPLE_GITOPS_REAL_NODE=0  no real node, even where the machine could run one
  XDG_CACHE_HOME             binaries are cached under \${XDG_CACHE_HOME:-\$HOME/.cache}/simple-gitops
USAGE
}

case "${1:-}" in
up | down)
  mkdir -p "$(dirname "$RUN_DIR")"
  # The lock lives beside the run directory, which `down` removes.
  lock 9 "${RUN_DIR}.lock" "another up or down in ${RUN_DIR}"
  "cmd_$1"
  ;;
env) printf 'KUBECONFIG=%s\n' "$KUBECONFIG_PATH" ;;
status) cmd_status ;;
build) build_all ;;
real-node)
  lock 9 "${RUN_DIR}.lock" "another up or down in ${RUN_DIR}"
  shift
  real_node "$@"
  ;;
pause | resume | kill | restart)
  lock 9 "${RUN_DIR}.lock" "another up or down in ${RUN_DIR}"
  cmd_fault "$1" "${2:-}"
  ;;
-h | --help | help) usage ;;
*)
  usage >&2
  exit 2
  ;;
esac
