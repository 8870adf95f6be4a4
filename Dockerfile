# syntax=docker/dockerfile:1.7
# simple-gitops controller image.
#   docker build -t simple-gitops:dev .
#   docker build --build-arg KUBECTL_SHA256=<sha256 of dl.k8s.io/release/v1.35.4/bin/linux/amd64/kubectl> ...
#   docker build --build-arg HELM_SHA256=<sha256 of get.helm.sh/helm-v3.22.1-linux-amd64.tar.gz> ...
# Not built in CI (no Docker engine there): test/dockerfile.test.ts checks the properties below instead.
#
# Both stages use Debian bookworm-slim: node_modules from a glibc build stage run unchanged in a glibc run stage
# (alpine's musl would need its own install), and Node's official alpine images are "experimental" support.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: dev dependencies, TypeScript compiled to dist/ ---------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY controller ./controller
COPY applyers ./applyers
COPY kube ./kube
COPY common ./common
RUN npx tsc -p tsconfig.build.json

# --- prod-deps: production dependencies only, from the lockfile ----------------------------------------------------
# A stage of its own so it is cached until package-lock.json changes. No dependency of the controller has an
# install script (only esbuild, a devDependency, does), so none run.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- kubectl: a pinned release, checksum verified ------------------------------------------------------------------
# Same minor as the test cluster (scripts/test-cluster.versions). KUBECTL_SHA256 pins the binary's digest; left
# empty, the digest published next to the binary (kubectl.sha256) is used, which also works per TARGETARCH.
FROM ${NODE_IMAGE} AS kubectl
ARG KUBECTL_VERSION=v1.35.4
ARG KUBECTL_SHA256=""
ARG TARGETARCH=amd64
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN url="https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl" \
 && curl -fsSL --proto '=https' --tlsv1.2 --retry 3 -o /tmp/kubectl "$url" \
 && published="$(curl -fsSL --proto '=https' --tlsv1.2 --retry 3 "${url}.sha256")" \
 && want="${KUBECTL_SHA256:-$published}" \
 && echo "kubectl ${KUBECTL_VERSION} ${TARGETARCH}: expecting sha256 ${want}" \
 && echo "${want}  /tmp/kubectl" | sha256sum -c - \
 && install -m 0755 /tmp/kubectl /usr/local/bin/kubectl \
 && rm /tmp/kubectl \
 && kubectl version --client

# --- helm: the pinned release that renders kustomizations' local Helm charts, checksum verified ----------------------
# The version scripts/helm.sh builds for the tests (test/helm-version.test.ts holds the two together); helm's release
# build sets the Kubernetes version a chart's kubeVersion is checked against, as scripts/helm.sh does. HELM_SHA256
# pins the archive's digest; left empty, the digest published next to it (.sha256sum) is used.
FROM ${NODE_IMAGE} AS helm
ARG HELM_VERSION=v3.22.1
ARG HELM_SHA256=""
ARG TARGETARCH=amd64
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN url="https://get.helm.sh/helm-${HELM_VERSION}-linux-${TARGETARCH}.tar.gz" \
 && curl -fsSL --proto '=https' --tlsv1.2 --retry 3 -o /tmp/helm.tar.gz "$url" \
 && published="$(curl -fsSL --proto '=https' --tlsv1.2 --retry 3 "${url}.sha256sum" | cut -d ' ' -f 1)" \
 && want="${HELM_SHA256:-$published}" \
 && echo "helm ${HELM_VERSION} ${TARGETARCH}: expecting sha256 ${want}" \
 && echo "${want}  /tmp/helm.tar.gz" | sha256sum -c - \
 && tar -xzf /tmp/helm.tar.gz -C /tmp "linux-${TARGETARCH}/helm" \
 && install -m 0755 "/tmp/linux-${TARGETARCH}/helm" /usr/local/bin/helm \
 && rm -rf /tmp/helm.tar.gz "/tmp/linux-${TARGETARCH}" \
 && helm version --short

# --- run: Node, production dependencies, compiled controller, kubectl, helm; non-root ------------------------------
FROM ${NODE_IMAGE} AS run
LABEL org.opencontainers.image.title="simple-gitops" \
      org.opencontainers.image.description="A light GitOps polling controller for Kubernetes" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
# uid/gid 10001 match runAsUser/runAsGroup in install/workload.ts; a home for kubectl's discovery cache.
RUN groupadd --system --gid 10001 gitops \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/gitops --create-home --shell /usr/sbin/nologin gitops
WORKDIR /app
COPY --from=kubectl /usr/local/bin/kubectl /usr/local/bin/kubectl
COPY --from=helm /usr/local/bin/helm /usr/local/bin/helm
COPY --from=prod-deps /app/node_modules ./node_modules
# package.json says "type": "module", which makes dist/**/*.js ES modules.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist ./dist
# Files stay root-owned: the controller reads its code and writes only to --state-dir and /tmp.
USER 10001:10001
EXPOSE 8080
# No curl in the slim image: Node's fetch does the probe. Assumes the default listen port 8080.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# A 1 MiB young generation (V8's default grows it to 16 MiB per semi-space) keeps the idle controller near 100 MiB
# instead of ~137 MiB with 50 repositories (bench/footprint-compiled.ts); it collects more often, which costs a little CPU.
# No --max-old-space-size: Node sizes the old generation from the container's memory limit (half of it, 256 MB at
# least), and below 2 GB V8 lets garbage pile up to 1.3-2x what survived a full collection instead of 4x; a fixed
# size would override the limit an operator sets for a large install (bench/scale/land.ts, issue 32).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--enable-source-maps", "dist/controller/main.js"]
CMD ["--config", "/etc/gitops/gitops-config.yaml", "--state-dir", "/home/gitops/state"]
