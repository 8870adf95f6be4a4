import type { AuditEvent } from "../controller/record/state/state.js";
import { apiMessage } from "./api-client.js";
import { awaitResult, baselineOf, readDetail } from "./await-result.js";
import { CliError, EXIT } from "./cli-error.js";
import { CONNECTION_FLAGS, type Command, oneArgument, WRITE_FLAGS } from "./command.js";
import { CONNECTION_HELP, WRITE_HELP } from "./help.js";
import { countActions } from "./table.js";
import { timeoutFlag } from "./timeout-flag.js";

/** RECONCILE_TIMEOUT_S is how long `reconcile --wait` waits for the result by default. */
const RECONCILE_TIMEOUT_S = 300;

/**
 * reconcileCommand is `reconcile SERVICE [--wait]`: a manual sync of the service (its whole set applied at the head
 * of its branch), and with --wait its outcome.
 */
export const reconcileCommand: Command = {
  name: "reconcile",
  usage: "reconcile SERVICE [--wait]",
  summary: "sync a service now; --wait for the outcome",
  help: `Usage: simple-gitops reconcile SERVICE [--wait] [--timeout D]

Ask the controller for a manual sync of SERVICE (POST /v1/gitops/sync?service=SERVICE): it reads the head of the
service's branch and applies its whole set, whether git changed or not, which also puts back what was edited by hand.
A suspended service is refused (resume it first).

  --wait        follow the service's status until the result of this sync lands, and print it
  --timeout D   with --wait, how long to wait: 30s, 5m, 1h (default 5m)

Exit status: 0 requested (or, with --wait, synced and healthy); 1 the sync failed (its error is printed), no result
within the timeout, the service is suspended, or the controller could not be reached; 2 bad usage, an unknown
service, or a missing or refused token.

${WRITE_HELP}

${CONNECTION_HELP}`,
  flags: [...CONNECTION_FLAGS, ...WRITE_FLAGS, "wait", "timeout"],
  async run(input) {
    const service = oneArgument(input, "reconcile", "SERVICE");
    const timeoutMs = timeoutFlag(input.flags, "reconcile", RECONCILE_TIMEOUT_S);
    const wait = input.flags.wait === true;
    const api = input.api();
    // Read before asking, so the result of this request can be told from the ones before it.
    const baseline = wait ? baselineOf(await readDetail(api, service)) : undefined;
    const answer = await api.write(`/v1/gitops/sync?service=${encodeURIComponent(service)}`, undefined, {
      verb: "reconcile",
      expect: [202, 409],
    });
    if (answer.status === 409) throw new CliError(EXIT.failed, `reconcile ${service}: ${apiMessage(answer)}`);
    if (baseline === undefined) {
      input.deps.stdout(
        `sync of ${service} requested; follow it with: simple-gitops get services ${service} (or reconcile --wait)\n`,
      );
      return EXIT.ok;
    }
    input.deps.stderr(`sync of ${service} requested; waiting for its result\n`);
    // Manual is the trigger of the run this request starts: a person's request outranks the timers it joins.
    const result = await awaitResult(api, service, baseline, (event) => event.trigger === "manual", {
      timeoutMs,
      deps: input.deps,
    });
    if (result === undefined) {
      throw new CliError(
        EXIT.failed,
        `no result for ${service} within ${timeoutMs / 1000} s; the sync may still be running: simple-gitops get services ${service}`,
      );
    }
    return reportResult(service, result, input.deps);
  },
};

/** reportResult prints a sync's outcome: what it did on stdout when it landed, its error on stderr when not. */
function reportResult(
  service: string,
  result: AuditEvent,
  deps: { stdout: (text: string) => void; stderr: (text: string) => void },
): number {
  const actions = countActions(result.objects) || "no objects";
  const what = `${service} at ${result.commit.slice(0, 12)}: ${actions} (${(result.durationMs / 1000).toFixed(1)} s)`;
  if (result.result === "succeeded") {
    deps.stdout(`synced ${what}\n`);
    return EXIT.ok;
  }
  deps.stderr(`sync failed: ${what}\n${result.error ?? "see simple-gitops get services"}\n`);
  return EXIT.failed;
}
