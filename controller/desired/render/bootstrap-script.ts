/** BootstrapPaths are where the bootstrap puts things; production uses the defaults, tests use temp dirs. */
export interface BootstrapPaths {
  appDir: string;
  workDir: string;
}

/** DEFAULT_BOOTSTRAP_PATHS are the paths inside the pod. */
export const DEFAULT_BOOTSTRAP_PATHS: BootstrapPaths = {
  appDir: "/app",
  workDir: "/tmp/simple-gitops-bootstrap",
};

/** INIT_SCRIPT_DIR is where, under the app dir, the bootstrap keeps the service's init.sh. */
export const INIT_SCRIPT_DIR = ".simple-gitops";

/** SAY are the bootstrap's two ways to speak: a line on stderr, and a line then exit 1. */
const SAY = [`log() { echo "simple-gitops bootstrap: $*" >&2; }`, `die() { log "$*"; exit 1; }`];

/**
 * DOWNLOAD_FUNCTIONS fetch and verify the release; they read `$base` and `$work` as the program sets them before
 * calling any.
 */
const DOWNLOAD_FUNCTIONS = [
  // busybox images ship wget, curl images ship curl; either is enough.
  "fetch() {",
  `  if command -v wget >/dev/null 2>&1; then wget -q -T 30 -O "$2" "$1"`,
  `  elif command -v curl >/dev/null 2>&1; then curl -fsSL --connect-timeout 30 -o "$2" "$1"`,
  `  else die "neither wget nor curl is available in the bootstrap image"; fi`,
  "}",
  `get() { fetch "$base/$1" "$work/$2" || { rm -f "$work/$2"; die "download failed: $base/$1"; }; }`,
  // fetch_sums sets $sums to "present" or "absent" (a 404: not published), and dies on anything else.
  // GNU wget says "ERROR 404:", busybox wget "server returned error: HTTP/1.1 404"; curl gives the status itself.
  "fetch_sums() {",
  `  sums_url="$base/SHA256SUMS"`,
  `  if command -v wget >/dev/null 2>&1; then`,
  `    if wget -T 30 -O "$work/SHA256SUMS" "$sums_url" 2>"$work/sums.err"; then sums=present; return 0; fi`,
  `    err=$(cat "$work/sums.err")`,
  `    case "$err" in`,
  `      *"ERROR 404:"*|*"returned error: HTTP/"*" 404"*) sums=absent; return 0 ;;`,
  "    esac",
  `    die "cannot fetch $sums_url, refusing to skip verification: $(awk 'NF { l = $0 } END { print l }' "$work/sums.err")"`,
  `  elif command -v curl >/dev/null 2>&1; then`,
  `    code=$(curl -sSL --connect-timeout 30 -o "$work/SHA256SUMS" -w '%{http_code}' "$sums_url" 2>"$work/sums.err") ||`,
  `      die "cannot fetch $sums_url, refusing to skip verification: $(awk 'NF { l = $0 } END { print l }' "$work/sums.err")"`,
  `    case "$code" in`,
  "      200) sums=present ;;",
  "      404) sums=absent ;;",
  `      *) die "cannot fetch $sums_url, refusing to skip verification: HTTP $code" ;;`,
  "    esac",
  `  else die "neither wget nor curl is available in the bootstrap image"; fi`,
  "}",
  "verify() {",
  `  want=$(awk -v p="$1" '{ n = $2; sub(/^\\*/, "", n); sub(/^\\.\\//, "", n); if (n == p) { print $1; exit } }' "$work/SHA256SUMS")`,
  `  [ -n "$want" ] || die "$1 is not listed in $base/SHA256SUMS"`,
  `  got=$(sha256sum "$work/$2" | awk '{ print $1 }')`,
  `  [ "$want" = "$got" ] || die "checksum mismatch for $1: SHA256SUMS says $want, downloaded $got"`,
  "}",
];

/**
 * bootstrapScript is the `sh` program of the bootstrap init container. It downloads
 * `$DOWNLOAD_BASE_URL/scripts/$SERVICE_NAME/init.sh` and `$DOWNLOAD_BASE_URL/apps/$SERVICE_NAME/app.tar.gz` with
 * wget or curl, checks both against `$DOWNLOAD_BASE_URL/SHA256SUMS` when the release tree publishes one, unpacks the
 * archive into the app dir and keeps init.sh at `{appDir}/.simple-gitops/init.sh`. With `runInit` it also sources
 * init.sh, for pods whose app container keeps its image entrypoint (see stateless.ts). Every failure exits non-zero
 * with a line saying what failed, so `kubectl describe pod` shows it.
 *
 * Verification fails closed: it is skipped only when the server answers `SHA256SUMS` with 404 (not published).
 * Any other answer that is not the file (5xx, a redirect to a dead host, a refused or dropped connection) fails
 * the container naming the URL, so an attacker who can break that one request cannot turn verification off.
 */
export function bootstrapScript(opts: { runInit: boolean; paths?: BootstrapPaths }): string {
  const { appDir, workDir } = opts.paths ?? DEFAULT_BOOTSTRAP_PATHS;
  const initPath = `${appDir}/${INIT_SCRIPT_DIR}/init.sh`;
  const lines = [
    "set -eu",
    ...SAY,
    `[ -n "\${SERVICE_NAME:-}" ] || die "SERVICE_NAME is not set"`,
    `[ -n "\${DOWNLOAD_BASE_URL:-}" ] || die "DOWNLOAD_BASE_URL is not set: set download_base_url in the gitops config or in ConfigMap $SERVICE_NAME-config"`,
    `base="\${DOWNLOAD_BASE_URL%/}"`,
    `work=${quote(workDir)}`,
    `app=${quote(appDir)}`,
    ...DOWNLOAD_FUNCTIONS,
    `rm -rf "$work"`,
    `mkdir -p "$work" "$app/${INIT_SCRIPT_DIR}"`,
    `get "scripts/$SERVICE_NAME/init.sh" init.sh`,
    `get "apps/$SERVICE_NAME/app.tar.gz" app.tar.gz`,
    // A SHA256SUMS that is not published (404) is not an error: verification is opt-in by publishing the file.
    // Any other failure to get it is: verification fails closed.
    "fetch_sums",
    `if [ "$sums" = present ]; then`,
    `  command -v sha256sum >/dev/null 2>&1 || die "SHA256SUMS is published but sha256sum is missing from the bootstrap image"`,
    `  verify "scripts/$SERVICE_NAME/init.sh" init.sh`,
    `  verify "apps/$SERVICE_NAME/app.tar.gz" app.tar.gz`,
    `  log "verified against SHA256SUMS"`,
    "else",
    `  log "no SHA256SUMS published ($base/SHA256SUMS: 404); skipping verification"`,
    "fi",
    `tar -xzf "$work/app.tar.gz" -C "$app" || die "cannot unpack apps/$SERVICE_NAME/app.tar.gz into $app"`,
    `cp "$work/init.sh" ${quote(initPath)}`,
    `chmod 755 ${quote(initPath)}`,
    `rm -rf "$work"`,
    `log "unpacked apps/$SERVICE_NAME/app.tar.gz into $app"`,
  ];
  if (opts.runInit) {
    lines.push(
      `log "running init.sh here: the app container has no explicit command to run it before"`,
      `. ${quote(initPath)} || die "init.sh failed"`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * commandWrapper is the `sh -c` program put in front of an app container's explicit command: it sources init.sh
 * (so init.sh can export variables for the app) and then `exec`s the original command, so the app becomes the
 * shell's replacement and receives signals directly.
 */
export function commandWrapper(paths: BootstrapPaths = DEFAULT_BOOTSTRAP_PATHS): string {
  const initPath = quote(`${paths.appDir}/${INIT_SCRIPT_DIR}/init.sh`);
  return [
    `if [ -f ${initPath} ]; then . ${initPath} || { echo "simple-gitops: init.sh failed" >&2; exit 1; }; fi`,
    `exec "$@"`,
  ].join("\n");
}

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
