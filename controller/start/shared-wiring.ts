import { createServerDiff, type ServerDiff } from "../../applyers/server-diff.js";
import type { KubeRequest } from "../../kube/http.js";
import { lazyKubeRequest } from "../../kube/kubeconfig.js";
import type { Config } from "../config/types.js";
import { createReleaseProbe, type ReleaseProbe } from "../desired/release-probe.js";
import { resolveInstallNamespace } from "../desired/render/own-names.js";
import type { StartupDeps } from "./startup.js";

/** SharedWiring is what both `--diff` and a running controller are built on. */
export interface SharedWiring {
  /** kube is the process's one apiserver client. */
  readonly kube: KubeRequest;
  readonly serverDiff: ServerDiff;
  /** installNamespace is the controller's own namespace: git may not touch the install's objects there. */
  readonly installNamespace: string;
  readonly releaseProbe: ReleaseProbe;
}

/** wireShared builds the apiserver client, the server-side diff, the install namespace and the release probe. */
export function wireShared(config: Config, edge: Pick<StartupDeps, "env" | "readFile">): SharedWiring {
  // One apiserver client for the whole process; its kubeconfig is read on first use, so a dry run never needs one.
  const kube = lazyKubeRequest();
  return {
    kube,
    serverDiff: createServerDiff({ request: kube }),
    installNamespace: resolveInstallNamespace(edge.env, edge.readFile),
    // stateless: auto gives the bootstrap to services that have a release (release_dir, else download_base_url).
    releaseProbe: createReleaseProbe(config.releaseDir ? { releaseDir: config.releaseDir } : {}),
  };
}
