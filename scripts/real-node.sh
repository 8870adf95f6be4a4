#!/usr/bin/env bash
# One real node beside the KWOK nodes of the test cluster: containerd and runc from Debian, a kubelet and kube-proxy
# built like the control plane, pods on a host-local bridge, images built locally (scripts/images/build.sh).
# Run through `scripts/test-cluster.sh`, which passes the cluster's directory, binaries and credentials:
#   test-cluster.sh up|down|status            start, stop or report it with the cluster
#   test-cluster.sh real-node CMD [ARGS]      any command below, e.g. `real-node import ARCHIVE REFERENCE`
# Facts behind each setting (the machine's missing CAP_SYS_RESOURCE, cgroup v1, no loopback node IP, what the kubelet
# writes outside its own directories): shared/real-node.md of the project's notes.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLUSTER_DIR="${SIMPLE_GITOPS_CLUSTER_DIR:?run through scripts/test-cluster.sh real-node ...}"
NODE="${REAL_NODE_NAME:?run through scripts/test-cluster.sh real-node ...}"
BIN="${REAL_NODE_BIN:?run through scripts/test-cluster.sh real-node ...}"
NODE_DIR="${CLUSTER_DIR}/real-node"
# Logs sit beside the control plane's, outside NODE_DIR, so that they outlive a failed `up` and its teardown.
log_file() { printf '%s/%s-%s.log' "$CLUSTER_DIR" "$NODE" "$1"; }
# The host's state before the last `up`: `down` compares what it leaves with it.
BASELINE="${CLUSTER_DIR}/real-node.host-before"
LABEL=node.simple-gitops.io/real
# A host-local bridge and subnet; the bridge's address is the node IP (a node IP may not be loopback, and this
# machine kind has no dummy links), the kubelet's and kube-proxy's listen address, and how pods reach the host.
BRIDGE=sgreal0 HOST_IP=10.77.0.1 SUBNET=10.77.0.0/24 NET=simple-gitops-real
# Tunables the kubelet sets at start (it has no option to leave them), ip_forward that the bridge plugin turns on,
# and the conntrack timeouts kube-proxy would set: saved on `up`, put back on `down`.
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.ip_forward net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)
SOCK="${NODE_DIR}/containerd/containerd.sock"
CTR=(ctr --address "$SOCK" --namespace k8s.io)
KUBECTL=(kubectl --kubeconfig "${CLUSTER_DIR}/kubeconfig" --request-timeout=10s)
# Paths the kubelet, containerd and libcni write whatever their configuration says.
HARD_CODED=(/var/lib/kubelet /var/lib/cni /run/containerd /run/netns /var/log/containers /var/log/pods /run/runc
  /etc/cni /var/lib/containerd)
COMPONENTS=(containerd kubelet kube-proxy socat)

log() { printf '[real-node] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now() { date +%s%N; }
since() {
  local ns=$(($(now) - $1))
  printf '%d.%ds' $((ns / 1000000000)) $((ns / 100000000 % 10))
}

# --- can this machine run it? ------------------------------------------------------------------------------------

# Prints why this machine cannot run a real node, one reason a line; prints nothing when it can.
why_not() {
  local tool package
  if [[ "${SIMPLE_GITOPS_REAL_NODE:-1}" == 0 ]]; then
    echo "turned off by SIMPLE_GITOPS_REAL_NODE=0"
    return
  fi
  [[ "$(id -u)" == 0 ]] || echo "not root: a real node changes the host's network, iptables and cgroups"
  while read -r tool package; do
    command -v "$tool" >/dev/null 2>&1 || echo "${tool} is missing (Debian package ${package})"
  done <<'TOOLS'
containerd containerd
ctr containerd
runc runc
umoci umoci
socat socat
gcc gcc
iptables iptables
ip iproute2
TOOLS
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] ||
    echo "/usr/lib/cni/{bridge,host-local,loopback} are missing (Debian package containernetworking-plugins)"
  if [[ ! -x /bin/busybox ]] || ldd /bin/busybox >/dev/null 2>&1; then
    echo "/bin/busybox is missing or dynamically linked (Debian package busybox-static)"
  fi
  [[ -x "${BIN}/kubelet" && -x "${BIN}/kube-proxy" ]] ||
    echo "kubelet and kube-proxy are not built in ${BIN}: scripts/test-cluster.sh build"
}

cmd_check() {
  local reasons
  reasons="$(why_not)"
  [[ -z "$reasons" ]] && return 0
  printf '%s\n' "$reasons"
  return 1
}

# --- processes ----------------------------------------------------------------------------------------------------

pid_file() { printf '%s/%s.pid' "$NODE_DIR" "$1"; }

# Prints the pid of a component this node started, if that process is still alive and is what the pid file says.
running_pid() {
  local file pid comm
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  comm="$(ps -o comm= -p "$pid" 2>/dev/null)" || return 1
  [[ "$comm" == "$1" ]] || return 1
  printf '%s\n' "$pid"
}

start() {
  local name="$1"
  shift
  # Appended to: the log of a start that failed stays readable after the next one.
  printf -- '--- %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$(log_file "$name")"
  # Own session, out of the caller's terminal; the lock descriptors of test-cluster.sh are not inherited.
  setsid "$@" >>"$(log_file "$name")" 2>&1 </dev/null 7>&- 8>&- 9>&- &
  local pid=$! i
  printf '%s\n' "$pid" >"$(pid_file "$name")"
  # Until the fork has exec'd, the pid names bash or setsid, and running_pid would call the component gone.
  for i in $(seq 100); do
    [[ "$(ps -o comm= -p "$pid" 2>/dev/null)" != @(bash|setsid) ]] && break
    sleep 0.01
  done
}

stop() {
  local name="$1" pid i
  if pid="$(running_pid "$name")"; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      ((i < 100)) || {
        log "${name} ignored SIGTERM for 10s: sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
      }
      sleep 0.1
    done
  fi
  rm -f "$(pid_file "$name")"
}

wait_for() {
  local timeout_s="$1" what="$2" component="$3" deadline
  shift 3
  deadline=$(($(date +%s) + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if ! running_pid "$component" >/dev/null; then
      log "${component} exited while waiting for ${what}; the end of $(log_file "$component"):"
      tail -n 20 "$(log_file "$component")" >&2
      exit 1
    fi
    (($(date +%s) < deadline)) || die "timed out after ${timeout_s}s waiting for ${what}; see $(log_file "$component")"
    sleep 0.2
  done
}

node_ready() {
  [[ "$("${KUBECTL[@]}" get node "$NODE" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# --- images -------------------------------------------------------------------------------------------------------

# Imports OCI archives into the node's containerd under the references the pods name (`busybox:1.36` resolves to
# docker.io/library/busybox:1.36); the kubelet then finds them with imagePullPolicy IfNotPresent or Never.
cmd_import() {
  local archive ref
  (($# % 2 == 0 && $# > 0)) || die "usage: real-node import ARCHIVE REFERENCE [ARCHIVE REFERENCE ...]"
  [[ -S "$SOCK" ]] || die "the real node is not up"
  while (($#)); do
    archive="$1" ref="$2"
    shift 2
    # The archive's layout names the tag; --base-name gives the repository in front of it.
    "${CTR[@]}" images import --base-name "${ref%:*}" "$archive" >/dev/null
    "${CTR[@]}" images ls -q | grep -xF "$ref" >/dev/null || die "${archive} did not import as ${ref}"
  done
}

# --- up -----------------------------------------------------------------------------------------------------------

write_configs() {
  mkdir -p "${NODE_DIR}/containerd" "${NODE_DIR}/cni/net.d" "${NODE_DIR}/kubelet" "${NODE_DIR}/kube-proxy"
  cat >"${NODE_DIR}/containerd/config.toml" <<EOF
version = 2
root = "${NODE_DIR}/containerd/root"
state = "${NODE_DIR}/containerd/state"
[grpc]
  address = "${SOCK}"
[ttrpc]
  address = "${SOCK}.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_REF}"
  disable_apparmor = true
  # The machine's bounding set lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj to the sandbox's -998 and
  # every sandbox fails ("can't get final child's PID from pipe"); this clamps it to containerd's own value.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${NODE_DIR}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${NODE_DIR}/cni/net.d"
EOF
  cat >"${NODE_DIR}/cni/net.d/10-${NET}.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "${NET}", "plugins": [
  {"type": "bridge", "bridge": "${BRIDGE}", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "${SUBNET}", "rangeStart": "10.77.0.10"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "${NODE_DIR}/cni/ipam"}}]}
EOF
  # The apiserver reaches the kubelet with its kubelet-client certificate (group system:masters), which the kubelet
  # checks against the cluster CA and authorizes through the apiserver: the kubelet API is not open to pods.
  cat >"${NODE_DIR}/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${SOCK}
address: ${HOST_IP}
readOnlyPort: 0
healthzBindAddress: ${HOST_IP}
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${CLUSTER_DIR}/pki/ca.crt}
authorization: {mode: Webhook}
podLogsDir: ${NODE_DIR}/kubelet/logs
makeIPTablesUtilChains: false
serializeImagePulls: false
registerWithTaints: [{key: ${LABEL}, value: "true", effect: NoSchedule}]
# Imported images cannot be pulled again: keep image GC and disk-pressure eviction away from them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
EOF
  cat >"${NODE_DIR}/kube-proxy/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${CLUSTER_DIR}/kube-proxy.kubeconfig}
hostnameOverride: ${NODE}
mode: iptables
clusterCIDR: ${SUBNET}
bindAddress: ${HOST_IP}
healthzBindAddress: ${HOST_IP}:10256
metricsBindAddress: ${HOST_IP}:10249
nodePortAddresses: ["${HOST_IP}/32"]
# No route_localnet, and the host's conntrack table size and timeouts stay as they are.
iptables: {localhostNodePorts: false}
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

cmd_up() {
  local started t images
  started="$(now)"
  if running_pid kubelet >/dev/null && node_ready; then
    log "${NODE} is already up"
    return
  fi
  [[ -z "$(why_not)" ]] || die "this machine cannot run a real node: $(why_not | paste -sd ';')"
  if [[ -d "$NODE_DIR" ]]; then
    log "found a stopped ${NODE} in ${NODE_DIR}: taking it down first"
    cmd_down || true
  fi
  # Another real node (another test cluster's) holds the bridge and the kubelet's hard-coded paths: starting beside it
  # would fail half-way, and the teardown of that failure would remove what the other node runs on.
  if ip link show "$BRIDGE" >/dev/null 2>&1 || pgrep -x kubelet >/dev/null; then
    die "another real node runs on this host (bridge ${BRIDGE} or a kubelet exists): take it down first with" \
      "SIMPLE_GITOPS_CLUSTER_DIR=<its cluster dir> scripts/test-cluster.sh real-node down"
  fi
  mkdir -p "$NODE_DIR"
  host_state >"$BASELINE"

  t="$(now)"
  images="$("${SCRIPT_DIR}/images/build.sh" pause busybox node)"
  PAUSE_REF="$(awk '$2 ~ /pause/ {print $2}' <<<"$images")"
  log "images ready in $(since "$t")"
  write_configs

  ip link add "$BRIDGE" type bridge
  ip addr add "${HOST_IP}/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  sysctl -n "${SYSCTLS[@]}" | paste -d= <(printf '%s\n' "${SYSCTLS[@]}") - >"${NODE_DIR}/sysctl.saved"
  # Forwarding is on for ClusterIP traffic, which leaves the bridge and comes back; nothing goes further.
  iptables -I FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -m comment --comment "$NET" -j DROP

  t="$(now)"
  start containerd containerd --config "${NODE_DIR}/containerd/config.toml"
  wait_for 30 "containerd" containerd "${CTR[@]}" version
  local -a pairs=()
  local archive ref
  while read -r archive ref; do pairs+=("$archive" "$ref"); done <<<"$images"
  cmd_import "${pairs[@]}"
  log "containerd up, images imported in $(since "$t")"

  t="$(now)"
  start kubelet "${BIN}/kubelet" --config="${NODE_DIR}/kubelet/config.yaml" \
    --kubeconfig="${CLUSTER_DIR}/kubelet.kubeconfig" --root-dir="${NODE_DIR}/kubelet/root" \
    --cert-dir="${NODE_DIR}/kubelet/pki" --hostname-override="$NODE" --node-ip="$HOST_IP" \
    --node-labels="${LABEL}=true"
  wait_for 60 "node ${NODE} Ready" kubelet node_ready
  log "${NODE} Ready in $(since "$t")"

  start kube-proxy "${BIN}/kube-proxy" --config="${NODE_DIR}/kube-proxy/config.yaml"
  wait_for 30 "kube-proxy healthz" kube-proxy curl -sf "http://${HOST_IP}:10256/healthz"
  # In-cluster clients on the pod network: the kubernetes Service -> a relay on the bridge -> the apiserver, which
  # listens on loopback only. test-cluster.sh runs the apiserver with --endpoint-reconciler-type=none, so the
  # EndpointSlice is written here.
  local port
  port="$(sed -n 's/^APISERVER_PORT=//p' "${CLUSTER_DIR}/ports.env")"
  start socat socat "TCP-LISTEN:6443,bind=${HOST_IP},reuseaddr,fork" "TCP:127.0.0.1:${port}"
  "${KUBECTL[@]}" apply -f - >/dev/null <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-${NODE}
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes, endpointslice.kubernetes.io/managed-by: simple-gitops-test-cluster}
addressType: IPv4
endpoints: [{addresses: ["${HOST_IP}"], conditions: {ready: true}}]
ports: [{name: https, port: 6443, protocol: TCP}]
EOF
  log "${NODE} up in $(since "$started"): label and taint ${LABEL}=true, pods on ${SUBNET}, host ${HOST_IP}"
}

# --- down ---------------------------------------------------------------------------------------------------------

# Lets the kubelet stop the pods (CNI DEL, unmounts) while it and the apiserver still run.
drain() {
  "${KUBECTL[@]}" get node "$NODE" >/dev/null 2>&1 || return 0
  # Cordoned first, or a ReplicaSet puts the deleted pods back on the node while it goes away; a NoExecute taint
  # keeps DaemonSet pods off too, which tolerate a cordon.
  "${KUBECTL[@]}" cordon "$NODE" >/dev/null 2>&1 || true
  "${KUBECTL[@]}" taint node "$NODE" node.simple-gitops.io/draining=true:NoExecute --overwrite >/dev/null 2>&1 || true
  "${KUBECTL[@]}" --request-timeout=90s delete pods -A --field-selector "spec.nodeName=${NODE}" --grace-period=1 \
    --wait=true --timeout=60s >/dev/null 2>&1 || log "some pods on ${NODE} did not go away within 60s"
  "${KUBECTL[@]}" -n default delete endpointslice "kubernetes-${NODE}" --ignore-not-found >/dev/null 2>&1 || true
  "${KUBECTL[@]}" delete node "$NODE" --ignore-not-found >/dev/null 2>&1 || true
}

# Removes what containerd leaves when the kubelet did not stop every pod: tasks, containers, CNI cache, shims.
remove_containers() {
  local id file
  if [[ -S "$SOCK" ]]; then
    for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do
      "${CTR[@]}" tasks kill -s KILL "$id" >/dev/null 2>&1 || true
    done
    sleep 0.5
    for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks rm -f "$id" >/dev/null 2>&1 || true; done
    for id in $("${CTR[@]}" containers ls -q 2>/dev/null); do
      # libcni caches results under /var/lib/cni/results/<network>-<sandbox>-<interface>, loopback included.
      rm -f "/var/lib/cni/results/${NET}-${id}-"* "/var/lib/cni/results/cni-loopback-${id}-"*
      "${CTR[@]}" containers rm "$id" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  # Shims outlive containerd; their pids are in its state directory.
  for file in "${NODE_DIR}"/containerd/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
    if [[ -f "$file" ]]; then kill -9 "$(<"$file")" 2>/dev/null || true; fi
  done
}

# Puts the host back: mounts, network namespaces, cgroups, the bridge, iptables, sysctls, hard-coded paths.
restore_host() {
  local mount dir ipt file
  # The kubelet's root-dir bind mount, volumes, overlay root filesystems, netns files: deepest first.
  awk -v d="$NODE_DIR" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r |
    while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  for dir in /run/netns/cni-*; do
    [[ -e "$dir" ]] && { umount "$dir" 2>/dev/null || true; rm -f "$dir"; }
  done
  for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    if [[ -d "$dir" ]]; then find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  while iptables -D FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -m comment --comment "$NET" -j DROP 2>/dev/null; do :; done
  # kube-proxy --cleanup removes its chains but by design not KUBE-FIREWALL, which it makes as the kubelet would.
  for ipt in iptables ip6tables; do
    while "$ipt" -D INPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
    while "$ipt" -D OUTPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
    if "$ipt" -F KUBE-FIREWALL 2>/dev/null; then "$ipt" -X KUBE-FIREWALL 2>/dev/null || true; fi
  done
  [[ -f "${NODE_DIR}/sysctl.saved" ]] && sysctl -q -p "${NODE_DIR}/sysctl.saved"
  rm -f "/var/lib/cni/results/${NET}-"* /var/lib/kubelet/device-plugins/kubelet.sock
  # A sandbox containerd lost track of keeps its shim's socket (the shim was killed above) and, as containerd skips the
  # CNI DEL of a closed network namespace, the loopback network's cached result. Neither name is ours alone, so only
  # the files the host lacked before `up` go.
  for file in /var/lib/cni/results/cni-loopback-* /run/containerd/s/*; do
    [[ -e "$file" ]] || continue
    if [[ ! -f "$BASELINE" ]] || ! grep -qxF "path ${file}" "$BASELINE"; then rm -f "$file"; fi
  done
  find /var/log/containers -maxdepth 1 -lname "${NODE_DIR}/*" -delete 2>/dev/null || true
  # Removed only when empty: what was there before stays.
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet /run/containerd/s /run/containerd /var/lib/cni/results \
    /var/lib/cni /var/log/containers /run/netns 2>/dev/null || true
}

cmd_down() {
  local started
  started="$(now)"
  if [[ ! -d "$NODE_DIR" ]]; then
    log "no real node in ${NODE_DIR}"
    return
  fi
  drain
  stop socat
  stop kube-proxy
  if [[ -x "${BIN}/kube-proxy" ]]; then "${BIN}/kube-proxy" --cleanup >"$(log_file kube-proxy-cleanup)" 2>&1 || true; fi
  stop kubelet
  remove_containers
  restore_host
  rm -rf "$NODE_DIR"
  log "${NODE} down in $(since "$started")"
  if [[ -f "$BASELINE" ]]; then cmd_audit; fi
}

# --- audit --------------------------------------------------------------------------------------------------------

# Prints the host state a real node touches, one sorted line per fact, for `down` to compare with the baseline.
host_state() (
  # A path that does not exist, or a table this kernel lacks, is a fact like any other, not an error.
  set +e +o pipefail
  local ipt table dir
  ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print "link", $2}'
  ip -o addr show | awk '{print "addr", $2, $4}'
  ip route show | sed 's/^/route /'
  for ipt in iptables ip6tables; do
    for table in filter nat mangle raw; do "$ipt" -t "$table" -S 2>/dev/null | sed "s/^/${ipt} ${table} /"; done
  done
  sysctl -a 2>/dev/null | grep -E "^($(paste -sd '|' <<'KEYS'
net\.ipv4\.ip_forward
net\.ipv4\.conf\.(all|default)\.
net\.bridge\.
net\.netfilter\.nf_conntrack_(max|tcp_timeout_|udp_timeout)
vm\.(overcommit_memory|panic_on_oom)
kernel\.(panic|keys\.root_max)
KEYS
))" | sed 's/^/sysctl /'
  printf 'hosts %s\n' "$(sha256sum </etc/hosts | cut -d' ' -f1)"
  awk '{print "mount", $2, $3}' /proc/self/mounts
  # The machine's own per-session memory cgroups come and go: everything else is ours to keep as found.
  find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d ! -path '*/process_api*' | sed 's/^/cgroup /'
  # shellcheck disable=SC2009 # one line per process, names only: pgrep would need one call per name
  ps -eo comm= | grep -xE 'containerd|containerd-shim.*|kubelet|kube-proxy|socat|runc|pause' | sed 's/^/process /'
  for dir in "${HARD_CODED[@]}"; do find "$dir" 2>/dev/null | sed 's/^/path /'; done
)

cmd_snapshot() { host_state | LC_ALL=C sort; }

# Compares the host with the state before the last `up`: prints what differs and fails when anything does.
cmd_audit() {
  local diff
  [[ -f "$BASELINE" ]] || die "no baseline in ${BASELINE}: run up first"
  diff="$(diff <(LC_ALL=C sort "$BASELINE") <(cmd_snapshot))" && {
    log "the host is as ${NODE} found it"
    return 0
  }
  log "the host differs from before ${NODE} came up ('<' before, '>' now):"
  printf '%s\n' "$diff" >&2
  return 3
}

# --- status -------------------------------------------------------------------------------------------------------

cmd_status() {
  local reasons component pid pids=()
  reasons="$(why_not)"
  if [[ -n "$reasons" ]]; then
    printf '%-24s not started: %s\n' "$NODE" "$(paste -sd ';' <<<"$reasons" | sed 's/;/; /g')"
    return 0
  fi
  for component in "${COMPONENTS[@]}"; do
    pid="$(running_pid "$component")" || {
      printf '%-24s down (%s not running)\n' "$NODE" "$component"
      return 1
    }
    pids+=("${component} ${pid}")
  done
  if node_ready; then
    printf '%-24s up and Ready (%s), logs %s\n' "$NODE" "$(printf '%s, ' "${pids[@]}" | sed 's/, $//')" \
      "$(log_file '*')"
  else
    printf '%-24s not Ready, logs %s\n' "$NODE" "$(log_file '*')"
    return 1
  fi
}

case "${1:-}" in
check) cmd_check ;;
up)
  # A failed start says where, then takes down what it started, and keeps the logs.
  set -E
  trap 'log "failed at line ${LINENO}: ${BASH_COMMAND}"' ERR
  trap 'status=$?; trap - EXIT; ((status == 0)) || { log "up failed: taking it down"; cmd_down || true; }' EXIT
  cmd_up
  ;;
down) cmd_down ;;
status) cmd_status ;;
import)
  shift
  cmd_import "$@"
  ;;
snapshot) cmd_snapshot ;;
audit) cmd_audit ;;
*)
  echo "usage: $0 check|up|down|status|import ARCHIVE REFERENCE...|snapshot|audit" >&2
  exit 2
  ;;
esac
