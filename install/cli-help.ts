import { DEFAULT_MEMORY } from "./container-memory.js";
import {
  FIELD_MANAGER,
  MANAGEMENT_NODE_LABEL,
  MANAGEMENT_NODE_VALUE,
  READ_TOKEN_KEY,
  SECRET_NAME,
  SYNC_TOKEN_KEY,
} from "./options.js";

/** HELP is apply-gitops's complete usage text. */
export const HELP = `Usage: npx tsx apply-gitops.ts --config-file FILE --cluster-name NAME [options]

Builds the objects that run simple-gitops in a cluster (Namespace, ServiceAccount, RBAC, the gitops-config
ConfigMap with credentials removed, the ${SECRET_NAME} Secret, the gitops-controller DaemonSet on the
management nodes, and its Service) and applies them with kubectl, or prints them with --dry-run.

Options:
  --config-file FILE   gitops-config.yaml to install (validated first; nothing is applied when it is invalid)
  --cluster-name NAME  name of the target cluster (labels the objects, CLUSTER_NAME in the pod)
  --namespace NS       namespace of the controller (default: default)
  --image IMAGE        controller image (default: simple-gitops:<version>, build it from the Dockerfile)
  --kubectl PATH       kubectl binary to read the cluster and apply with (default: kubectl on PATH)
  --memory-limit SIZE  memory limit of the controller, a Kubernetes quantity such as 1Gi (default: ${DEFAULT_MEMORY.limit},
                       enough for about 1 000 services); the request keeps the default's share of it
                       (${DEFAULT_MEMORY.request} of ${DEFAULT_MEMORY.limit}), and Node sizes its heap from it
  --dry-run            print multi-document YAML on stdout instead of applying
  -h, --help           show this help

Credentials: every token_env, private_key_env, url_env, secret_env and webhook_secret_env variable and every
token_file and private_key_file the config names is read from this shell's environment and files (or kept from
the ${SECRET_NAME} Secret already installed) and put in the Secret. A missing token, GitHub App key or
notification URL exits 2 naming the field and the variable, before anything is printed or applied: the installed
controller could not start without it. A missing secret_env or webhook_secret_env is a warning.

Environment:
  ${SYNC_TOKEN_KEY}    the HTTP API's sync token (POST /v1/gitops/sync); kept from the installed Secret when
                       not set, generated (random) on the first install. Read it back with:
                       kubectl -n NS get secret ${SECRET_NAME} -o jsonpath='{.data.${SYNC_TOKEN_KEY}}' | base64 -d
  ${READ_TOKEN_KEY}    the read-only API's token; kept from the installed Secret when not set, none by default
  KUBECONFIG           the cluster kubectl reads and applies to

With a cluster it can reach (even with --dry-run), apply-gitops reads the installed Secret and warns when no node
carries ${MANAGEMENT_NODE_LABEL}=${MANAGEMENT_NODE_VALUE}, giving the kubectl label command; --dry-run also says so in a
YAML comment. Without one, --dry-run works all the same. An unset \`state\` installs \`state: configmap\`;
\`state: file\` is refused (the pod's state would not survive a reschedule).

Both ways of installing apply server-side with the field manager ${FIELD_MANAGER}, so either may follow the other:
  npx tsx apply-gitops.ts --config-file gitops-config.yaml --cluster-name prod --namespace gitops
  npx tsx apply-gitops.ts --config-file gitops-config.yaml --cluster-name prod --namespace gitops --dry-run \\
    | kubectl apply --server-side --force-conflicts --field-manager=${FIELD_MANAGER} -f -

Exit status: 0 done, 1 kubectl failed (or the installed Secret could not be read), 2 bad flags or config, or a
missing credential.`;
