/** CONNECTION_HELP says how every verb but diff finds the controller and reads from it. */
export const CONNECTION_HELP = `Where the controller is (one of):
  --server URL            its HTTP address, e.g. http://127.0.0.1:8080 (default: $SIMPLE_GITOPS_SERVER)
  --kube-namespace NS     the namespace it is installed in: reached through the apiserver's service proxy with your
                          kubeconfig, so nothing is exposed
  --kube-service NAME     with --kube-namespace: its Service (default gitops-controller)
  --kube-port PORT        with --kube-namespace: the Service's port, number or name (default 8080)
  --kubeconfig FILE       the kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --read-token TOKEN      the status API's token, when the controller sets GITOPS_READ_TOKEN
                          (default: $GITOPS_READ_TOKEN)
  -o, --output json|yaml  print the API's answer instead of a table
  -h, --help              this help`;

/** WRITE_HELP says what the verbs that change something send. */
export const WRITE_HELP = `Writes need the controller's sync token: $GITOPS_SYNC_TOKEN, or --token TOKEN (an environment variable stays out of
your shell history and the process list). An installed controller keeps it in its Secret:
  kubectl -n NS get secret gitops-controller-secrets -o jsonpath='{.data.GITOPS_SYNC_TOKEN}' | base64 -d`;

/** ACTOR_HELP says who a suspend, resume or rollback is recorded as. */
export const ACTOR_HELP = `  --reason TEXT           why, recorded with it (one line, at most 500 characters)
  --actor NAME            who asks, recorded as \`by\` and in the audit trail (default: your OS user name)`;

/** topHelp is the overall usage: every verb with its synopsis and summary. */
export function topHelp(commands: readonly { usage: string; summary: string }[]): string {
  const width = Math.max(...commands.map((command) => command.usage.length));
  const lines = commands.map((command) => `  ${command.usage.padEnd(width)}  ${command.summary}`);
  return `Usage: simple-gitops COMMAND [ARGS] [FLAGS]

Talk to a running simple-gitops controller through its HTTP API, or compare a local directory with the cluster.

Commands:
${lines.join("\n")}

${CONNECTION_HELP}

${WRITE_HELP}

Exit status: 0 done; 1 failed (the controller could not be reached, a sync or rollback failed, diff found changes);
2 bad usage or configuration (a missing flag, token or kubeconfig, an unknown name).
Run simple-gitops COMMAND --help for a command's flags. Docs: docs/cli.md.
`;
}
