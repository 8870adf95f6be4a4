#!/usr/bin/env bash
# helm, pinned, built from source through the Go module proxy and cached by version outside the checkout, as the
# test cluster's binaries are (scripts/test-cluster.sh). The controller renders a kustomization's local Helm charts
# with it (docs/kustomize.md#helm-charts) and finds it here by default; the tests build it through this script.
set -euo pipefail

# The version the controller, the tests and the Dockerfile (ARG HELM_VERSION) use; test/helm-version.test.ts holds
# the three together.
HELM_VERSION=v3.22.1

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/simple-gitops"
HELM_DIR="${CACHE_ROOT}/helm-${HELM_VERSION}"
HELM_BIN="${HELM_DIR}/bin/helm"

log() { printf '[helm] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

now() { date +%s; }

# helm's release build (its Makefile) sets the Kubernetes version `helm template` assumes from the k8s.io/client-go
# it requires (v0.N → 1.N); without it helm assumes v1.20 and refuses every chart whose kubeVersion asks for more.
# Read from the release's own go.mod, so that a version bump needs no edit here.
kubernetes_minor() {
  local gomod minor
  gomod="$(go mod download -json "helm.sh/helm/v3@${HELM_VERSION}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$gomod" ]] || die "could not download the go.mod of helm.sh/helm/v3@${HELM_VERSION}"
  minor="$(sed -n 's#^[[:space:]]*k8s\.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$gomod")"
  [[ "$minor" =~ ^[0-9]+$ ]] || die "no k8s.io/client-go requirement in ${gomod}"
  printf '%s\n' "$minor"
}

compile() {
  local minor="$1" out="$2" ldflags="-s -w" pkg
  ldflags+=" -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  for pkg in chartutil lint/rules; do
    ldflags+=" -X helm.sh/helm/v3/pkg/${pkg}.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/${pkg}.k8sVersionMinor=${minor}"
  done
  CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$out" \
    go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
}

build() {
  local start minor heartbeat version bin="${HELM_DIR}/bin" partial="${HELM_DIR}/bin.partial"
  [[ -x "$HELM_BIN" ]] && return
  command -v go >/dev/null || die "go is required to build helm"
  mkdir -p "$CACHE_ROOT"
  # Two test runs starting at once must not build into the same directory; the second uses the first's build.
  exec 8>"${HELM_DIR}.lock"
  if ! flock -n 8; then
    log "waiting for another build of helm ${HELM_VERSION} to finish (lock ${HELM_DIR}.lock)"
    flock 8
  fi
  [[ -x "$HELM_BIN" ]] && return
  start="$(now)"
  log "building helm ${HELM_VERSION} into ${HELM_DIR}/bin (first run takes 3-4 min on 2 cores; later runs use the cache)"
  minor="$(kubernetes_minor)"
  # go install prints nothing while it compiles: a line every 30 s says the build is alive. The lock is not its to hold.
  (
    exec 8>&-
    while sleep 30; do log "still building helm ${HELM_VERSION} ($(($(now) - start))s)"; done
  ) &
  heartbeat=$!
  # shellcheck disable=SC2064 # the pid is known now
  trap "kill ${heartbeat} 2>/dev/null || true" EXIT
  # Into a scratch directory, moved into place once it answers with its version: an interrupted build never looks cached.
  rm -rf "$partial"
  mkdir -p "$partial"
  compile "$minor" "$partial"
  version="$("${partial}/helm" version --template '{{.Version}}')"
  [[ "$version" == "$HELM_VERSION" ]] || die "the build says it is helm ${version}, not ${HELM_VERSION}"
  rm -rf "$bin"
  mv "$partial" "$bin"
  log "built helm ${HELM_VERSION} (Kubernetes 1.${minor} by default) in $(($(now) - start))s"
}

usage() {
  local me
  me="$(basename "$0")"
  cat <<EOF
Usage: ${me} build|path|version

  build    build helm ${HELM_VERSION} into ${HELM_DIR}/bin unless it is there (3-4 min on 2 cores,
           once); print the binary's path
  path     print where the binary is (or will be), built or not
  version  print the pinned version (${HELM_VERSION})
EOF
}

case "${1:-}" in
build) build && printf '%s\n' "$HELM_BIN" ;;
path) printf '%s\n' "$HELM_BIN" ;;
version) printf '%s\n' "$HELM_VERSION" ;;
-h | --help) usage ;;
*)
  usage >&2
  exit 2
  ;;
esac
