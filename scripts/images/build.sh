#!/usr/bin/env bash
# Container images for the test cluster's real node, built from files already on this machine with umoci: nothing is
# pulled, there is no registry and no Docker engine.
#
#   pause       the pod sandbox: a static C pause() loop (pause.c beside this script)
#   busybox     /bin/busybox of Debian's busybox-static, as busybox:1.36, the stateless bootstrap's image (with
#               dash as sh and a wget that takes -T: see add_busybox)
#   node        this machine's Node binary and the shared libraries it loads, plus the busybox tools, as
#               node:20-alpine, the image of the examples' web app
#   controller  the controller the way the Dockerfile builds it: production node_modules (npm ci --omit=dev),
#               dist/ compiled by tsc, kubectl, helm (the pinned build scripts/helm.sh caches), Node; uid 10001, the
#               Dockerfile's entrypoint and command
#
# Usage: scripts/images/build.sh NAME...   prints "ARCHIVE REFERENCE" per image, one a line
# Archives are OCI image layouts in a tar, cached in ~/.cache/simple-gitops/images and named by a digest of what they
# are made from (this script, the binaries, the sources): an unchanged input costs a hash, not a build.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/simple-gitops/images"
BUSYBOX=/bin/busybox
DASH=/bin/dash

log() { printf '[images] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The references the workloads name, as the container runtime normalises them: `busybox:1.36` is
# docker.io/library/busybox:1.36. `apply-gitops` defaults its image to simple-gitops:<package.json version>.
reference() {
  case "$1" in
  pause) echo registry.k8s.io/pause:3.10 ;;
  busybox) echo docker.io/library/busybox:1.36 ;;
  node) echo docker.io/library/node:20-alpine ;;
  controller)
    echo "docker.io/library/simple-gitops:$(node -p 'require(process.argv[1]).version' "${ROOT}/package.json")"
    ;;
  *) die "unknown image ${1}: expected pause, busybox, node or controller" ;;
  esac
}

# The image platform's architecture, named as OCI names it.
architecture() {
  case "$(uname -m)" in
  x86_64) echo amd64 ;;
  aarch64) echo arm64 ;;
  *) uname -m ;;
  esac
}

# Prints the files a binary loads at run time (its ELF interpreter and shared libraries), as ldd resolves them here.
libraries() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u; }

# The files of the checkout the controller's image is made from: every TypeScript source but tests (a superset of
# the Dockerfile's COPY lines, so that a new source directory cannot be missed), the package and compiler files.
controller_sources() {
  (cd "$ROOT" && git ls-files -co --exclude-standard -- '*.ts' ':!:*.test.ts' | LC_ALL=C sort &&
    printf '%s\n' package.json package-lock.json tsconfig.json tsconfig.build.json)
}

# Prints a digest of the named files' paths and contents, with this script and pause.c: the cache key.
digest() {
  local file
  for file in "${BASH_SOURCE[0]}" "${SCRIPT_DIR}/pause.c" "$@"; do
    printf '%s\0' "$file"
    cat "$file"
  done | sha256sum | cut -c1-20
}

inputs() {
  local node
  node="$(command -v node)"
  case "$1" in
  pause) command -v gcc ;;
  busybox) printf '%s\n' "$BUSYBOX" "$DASH" && libraries "$DASH" ;;
  node) printf '%s\n' "$BUSYBOX" "$DASH" "$node" && libraries "$DASH" && libraries "$node" ;;
  controller)
    printf '%s\n' "$node" "$(command -v kubectl)" "$("${ROOT}/scripts/helm.sh" build)" && libraries "$node"
    controller_sources | sed "s#^#${ROOT}/#"
    ;;
  esac
}

# --- rootfs pieces ------------------------------------------------------------------------------------------------

add_busybox() {
  local rootfs="$1" applet
  ldd "$BUSYBOX" >/dev/null 2>&1 && die "${BUSYBOX} is dynamically linked: install Debian's busybox-static"
  mkdir -p "${rootfs}/bin"
  cp "$BUSYBOX" "${rootfs}/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [[ -e "${rootfs}/bin/${applet}" ]] || ln -s busybox "${rootfs}/bin/${applet}"
  done
  # busybox 1.36 as Docker Hub ships it takes `wget -T SECONDS` (the stateless bootstrap uses it); Debian builds
  # busybox without FEATURE_WGET_TIMEOUT, and its wget crashes (SIGSEGV) on -T. This wget drops the option. Debian's
  # busybox sh runs its own applets before searching PATH, so sh is dash, which finds this wget in PATH.
  rm "${rootfs}/bin/wget" "${rootfs}/bin/sh"
  add_dynamic "$rootfs" "$DASH" /bin/sh
  cat >"${rootfs}/bin/wget" <<'WGET'
#!/bin/sh
n=$#
while [ "$n" -gt 0 ]; do
  arg=$1
  shift
  n=$((n - 1))
  case $arg in
  -T) shift && n=$((n - 1)) ;;
  -T*) ;;
  *) set -- "$@" "$arg" ;;
  esac
done
exec /bin/busybox wget "$@"
WGET
  chmod 0755 "${rootfs}/bin/wget"
}

# Copies a dynamically linked binary to `dest` inside the rootfs, with every library it loads at the same path.
add_dynamic() {
  local rootfs="$1" binary="$2" dest="$3" lib
  install -D -m 0755 "$binary" "${rootfs}${dest}"
  for lib in $(libraries "$binary"); do install -D -m 0755 "$lib" "${rootfs}${lib}"; done
}

# users: lines "name uid home", written to /etc/passwd and /etc/group beside root and nobody.
add_users() {
  local rootfs="$1" name uid home
  shift
  mkdir -p "${rootfs}/etc" "${rootfs}/tmp"
  chmod 1777 "${rootfs}/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' \
    >"${rootfs}/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"${rootfs}/etc/group"
  while read -r name uid home; do
    [[ -n "$name" ]] || continue
    printf '%s:x:%s:%s::%s:/sbin/nologin\n' "$name" "$uid" "$uid" "$home" >>"${rootfs}/etc/passwd"
    printf '%s:x:%s:\n' "$name" "$uid" >>"${rootfs}/etc/group"
    install -d -o "$uid" -g "$uid" "${rootfs}${home}"
  done <<<"$*"
}

# Production node_modules for a package-lock.json, cached by its digest: npm ci is the slow step of the controller.
node_modules() {
  local lock_digest dir
  lock_digest="$(cat "${ROOT}/package.json" "${ROOT}/package-lock.json" | sha256sum | cut -c1-20)"
  dir="${CACHE_DIR}/node-modules-${lock_digest}"
  if [[ ! -d "${dir}/node_modules" ]]; then
    rm -rf "${CACHE_DIR}"/node-modules-* "${dir}.partial"
    mkdir -p "${dir}.partial"
    cp "${ROOT}/package.json" "${ROOT}/package-lock.json" "${dir}.partial/"
    # As the Dockerfile's prod-deps stage: the lockfile's production dependencies, none of whose scripts run.
    (cd "${dir}.partial" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
    mv "${dir}.partial" "$dir"
  fi
  printf '%s\n' "${dir}/node_modules"
}

fill() {
  local name="$1" rootfs="$2" work="$3"
  case "$name" in
  pause)
    gcc -Os -static -s -o "${rootfs}/pause" "${SCRIPT_DIR}/pause.c"
    echo --config.entrypoint /pause
    ;;
  busybox)
    add_busybox "$rootfs"
    add_users "$rootfs" ""
    echo --config.cmd sh --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    ;;
  node)
    add_busybox "$rootfs"
    add_dynamic "$rootfs" "$(command -v node)" /usr/local/bin/node
    # The official image's user: the examples run as uid 1000.
    add_users "$rootfs" "node 1000 /home/node"
    echo --config.cmd node --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    ;;
  controller)
    add_dynamic "$rootfs" "$(command -v node)" /usr/local/bin/node
    install -D -m 0755 "$(realpath "$(command -v kubectl)")" "${rootfs}/usr/local/bin/kubectl"
    # Static (CGO_ENABLED=0): no libraries to copy. Built once from the Go module proxy, then offline from its cache.
    install -D -m 0755 "$("${ROOT}/scripts/helm.sh" build)" "${rootfs}/usr/local/bin/helm"
    add_users "$rootfs" "gitops 10001 /home/gitops"
    mkdir -p "${rootfs}/app"
    cp -a "$(node_modules)" "${rootfs}/app/node_modules"
    cp "${ROOT}/package.json" "${rootfs}/app/package.json"
    # tsc from the checkout, into the image: the Dockerfile's build stage (tsconfig.build.json compiles main.ts and
    # what it imports).
    (cd "$ROOT" && npx tsc -p tsconfig.build.json --outDir "${work}/dist") >&2
    cp -a "${work}/dist" "${rootfs}/app/dist"
    echo --config.user 10001:10001 --config.workingdir /app \
      --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env NODE_ENV=production \
      --config.exposedports 8080/tcp \
      --config.entrypoint node --config.entrypoint --max-semi-space-size=1 --config.entrypoint --enable-source-maps \
      --config.entrypoint dist/controller/main.js \
      --config.cmd --config --config.cmd /etc/gitops/gitops-config.yaml --config.cmd --state-dir \
      --config.cmd /home/gitops/state
    ;;
  esac
}

# Builds one image into the cache unless an archive of the same inputs is there, and prints its line.
build() {
  local name="$1" ref key archive work tag started
  ref="$(reference "$name")"
  tag="${ref##*:}"
  key="$(mapfile -t files < <(inputs "$name") && digest "${files[@]}")"
  archive="${CACHE_DIR}/${name}-${key}.tar"
  if [[ ! -f "$archive" ]]; then
    started="$(date +%s)"
    work="$(mktemp -d "${CACHE_DIR}/build-${name}.XXXXXX")"
    # shellcheck disable=SC2064 # the directory is known now
    trap "rm -rf '${work}'" EXIT
    umoci init --layout "${work}/oci"
    umoci new --image "${work}/oci:${tag}"
    umoci unpack --image "${work}/oci:${tag}" "${work}/bundle" >/dev/null
    local -a config
    fill "$name" "${work}/bundle/rootfs" "$work" >"${work}/config"
    read -ra config <"${work}/config"
    umoci repack --image "${work}/oci:${tag}" "${work}/bundle"
    umoci config --image "${work}/oci:${tag}" --os linux --architecture "$(architecture)" "${config[@]}"
    umoci gc --layout "${work}/oci"
    tar -C "${work}/oci" -cf "${work}/image.tar" .
    rm -f "${CACHE_DIR}/${name}"-*.tar
    mv "${work}/image.tar" "$archive"
    rm -rf "$work"
    trap - EXIT
    log "built ${ref} in $(($(date +%s) - started))s"
  fi
  printf '%s %s\n' "$archive" "$ref"
}

(($# > 0)) || die "usage: $0 pause|busybox|node|controller ..."
for tool in umoci gcc ldd node; do command -v "$tool" >/dev/null || die "${tool} is required"; done
mkdir -p "$CACHE_DIR"
# Two runs building the same image at once would race for the same archive name.
exec 7>"${CACHE_DIR}/.lock"
flock 7
for name in "$@"; do build "$name"; done
