#!/usr/bin/env bash
# Builds Flux's source-controller and kustomize-controller (FLUX_VERSION, default v1.9.6) from the Go module proxy
# into $1/bin and copies their CRDs into $1/crds. Adapted from ../shared/peer/flux.sh (tested on this machine).
set -euo pipefail
FLUX_DIR=${1:?usage: flux-build.sh DIR}
FLUX_VERSION=${FLUX_VERSION:-v1.9.6}
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# source-controller v1.9.6 requires github.com/fluxcd/pkg/artifact v0.18.3, which the proxy refuses; it serves v0.18.0.
SC_EXTRA_REPLACE=${SC_EXTRA_REPLACE-github.com/fluxcd/pkg/artifact => github.com/fluxcd/pkg/artifact v0.18.0}
jf() { node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8"));process.stdout.write(j[process.argv[1]]||j.Error||"")' "$1"; }

mkdir -p "$FLUX_DIR/bin" "$FLUX_DIR/crds"
for c in source-controller kustomize-controller; do
  [[ -x "$FLUX_DIR/bin/$c" ]] && continue
  m=github.com/fluxcd/$c w=$FLUX_DIR/wrap-$c
  j=$(go mod download -json "$m@$FLUX_VERSION"); gomod=$(jf GoMod <<<"$j"); dir=$(jf Dir <<<"$j")
  [[ -d "$dir" ]] || { echo "go mod download $m@$FLUX_VERSION: $dir" >&2; exit 1; }
  rm -rf "$w"; mkdir -p "$w"
  # `go install $m@$FLUX_VERSION` refuses a module with replace directives: a wrapper module requires it and
  # mirrors its replaces, except `=> ./api` (the published api module of the same version is required anyway).
  { printf 'module fluxwrap/%s\n\n%s\n\nrequire %s %s\n\n' "$c" "$(grep -m1 '^go ' "$gomod")" "$m" "$FLUX_VERSION"
    go mod edit -json "$gomod" | node -e '
      for (const r of JSON.parse(require("fs").readFileSync(0,"utf8")).Replace||[]) if (!r.New.Path.startsWith("."))
        console.log(`replace ${r.Old.Path}${r.Old.Version?" "+r.Old.Version:""} => ${r.New.Path} ${r.New.Version}`)'
    if [[ $c == source-controller && -n "$SC_EXTRA_REPLACE" ]]; then echo "replace $SC_EXTRA_REPLACE"; fi
    echo "tool $m"; } >"$w/go.mod"
  # Built under a temporary name: an interrupted build never leaves a binary that looks cached.
  (cd "$w" && go build -trimpath -ldflags='-s -w' -o "$FLUX_DIR/bin/$c.tmp" "$m")
  cp "$dir"/config/crd/bases/*.yaml "$FLUX_DIR/crds/"; chmod u+w "$FLUX_DIR"/crds/*.yaml
  mv "$FLUX_DIR/bin/$c.tmp" "$FLUX_DIR/bin/$c"
done
