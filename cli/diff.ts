import { usageError } from "./cli-error.js";
import { type Command, stringFlag } from "./command.js";

/** diffCommand is `diff --path DIR`: a local directory rendered as a sync would, compared with the live cluster. */
export const diffCommand: Command = {
  name: "diff",
  usage: "diff --path DIR",
  summary: "render a local directory as a sync would, diff it with the cluster",
  help: `Usage: simple-gitops diff --path DIR [--service NAME] [--config FILE] [--kubeconfig FILE] [--kube-namespace NS]

Render DIR exactly as a sync of it would (its .yaml, .yml and .json files every level down, or the kustomize build
of its kustomization, then the service's namespace, labels, stateless bootstrap and allowlist) and compare each
object with the live cluster by a server-side dry-run apply, as the controller's --diff does: each object that would
change is printed on stdout as a unified diff (Secret values masked), then one summary line on stderr. Nothing is
applied. The controller is not asked: the cluster is read with your kubeconfig. Like flux diff kustomization --path.

  --path DIR            the directory, as a service's k8s_yaml_dir; a kustomization's bases outside it are read
                        when DIR is inside a git checkout (the checkout's root is the repository root)
  --config FILE         a gitops-config.yaml: the service's namespace, stateless setting, the namespaces allowlist,
                        cluster_kinds, release_dir and download_base_url come from it (no token is read)
  --service NAME        the service of --config to render DIR as (needed when the config has several and none has
                        DIR's path as its k8s_yaml_dir); without --config, the name the objects are labelled with
                        (default: DIR's name) and the defaults of a service otherwise
  --kubeconfig FILE     the kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --kube-namespace NS   the controller's namespace, whose own objects a sync refuses to touch (default default)
  -h, --help            this help

Exit status: 0 no changes; 1 changes; 2 errors (bad usage or config, a file or render a sync would refuse, the
cluster not reached, an object the server's dry run refused).`,
  flags: ["path", "service", "config", "kubeconfig", "kube-namespace"],
  async run(input) {
    if (input.args.length > 0)
      throw usageError(`diff takes no argument: give the directory as --path DIR`, "diff");
    const path = stringFlag(input.flags, "path");
    if (path === undefined || path === "")
      throw usageError("diff needs --path DIR, the directory to render", "diff");
    // Imported only here: rendering and the server-side diff are most of the CLI's start-up, which no other verb needs.
    const { renderAndDiff } = await import("./render-diff.js");
    return renderAndDiff(input, path);
  },
};
