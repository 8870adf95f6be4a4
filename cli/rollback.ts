import { apiMessage } from "./api-client.js";
import { CliError, EXIT, usageError } from "./cli-error.js";
import { CONNECTION_FLAGS, type Command, oneArgument, stringFlag, WRITE_FLAGS } from "./command.js";
import { ACTOR_HELP, CONNECTION_HELP, WRITE_HELP } from "./help.js";
import { outputFormat, printAs } from "./output.js";
import { countActions, shortCommit } from "./table.js";
import { timeoutFlag } from "./timeout-flag.js";

/**
 * ROLLBACK_TIMEOUT_S is how long `rollback --wait` waits by default: longer than the controller's own bound
 * (apply_timeout + health_timeout, 10 min with the defaults), so the controller says how it ended.
 */
const ROLLBACK_TIMEOUT_S = 15 * 60;

interface ObjectLine {
  readonly action: string;
}

/** RollbackAnswer is what the rollback endpoint answers (docs/http-api.md), success or not. */
interface RollbackAnswer {
  readonly status?: string;
  readonly commit?: string;
  readonly result?: { objects: ObjectLine[]; pruned: ObjectLine[] };
}

/** rollbackCommand is `rollback SERVICE --to COMMIT`: re-apply a landed set and hold the service there. */
export const rollbackCommand: Command = {
  name: "rollback",
  usage: "rollback SERVICE --to COMMIT",
  summary: "re-apply a landed commit and suspend the service there",
  help: `Usage: simple-gitops rollback SERVICE --to COMMIT [--wait] [--timeout D] [--reason TEXT] [--actor NAME]

Re-apply the set SERVICE landed at COMMIT (POST /v1/gitops/services/SERVICE/rollback), whatever the head of its
branch: every object of that set is applied, what newer commits added is pruned (with prune: true), its workloads are
waited for, and on success the service is suspended at COMMIT so the next poll does not undo it. Resume it once git
holds the fix. COMMIT is a full SHA or a prefix of at least 7 characters of one of: simple-gitops history SERVICE

  --to COMMIT   the landed commit to return to (required)
  --wait        wait for the outcome and print what was applied and pruned
  --timeout D   with --wait, how long to wait: 30s, 5m, 1h (default 15m; the controller itself answers within
                apply_timeout + health_timeout)
${ACTOR_HELP}

Exit status: 0 queued (or, with --wait, rolled back and suspended); 1 the rollback failed or did not run, is still
running when the controller stopped waiting, another one is under way, or the controller could not be reached;
2 bad usage, an unknown service or commit, or a missing or refused token.

${WRITE_HELP}

${CONNECTION_HELP}`,
  flags: [...CONNECTION_FLAGS, ...WRITE_FLAGS, "output", "to", "wait", "timeout", "reason", "actor"],
  async run(input) {
    const service = oneArgument(input, "rollback", "SERVICE");
    const commit = stringFlag(input.flags, "to");
    if (commit === undefined || commit === "")
      throw usageError(`rollback needs --to COMMIT, one of: simple-gitops history ${service}`, "rollback");
    const format = outputFormat(input.flags, "rollback");
    const wait = input.flags.wait === true;
    const timeoutMs = timeoutFlag(input.flags, "rollback", ROLLBACK_TIMEOUT_S);
    const reason = stringFlag(input.flags, "reason");
    const path = `/v1/gitops/services/${encodeURIComponent(service)}/rollback${wait ? "?wait=true" : ""}`;
    const answer = await input.api().write(
      path,
      { commit, ...(reason === undefined ? {} : { reason }) },
      {
        verb: "rollback",
        expect: [200, 202, 409, 500],
        ...(wait ? { timeoutMs } : {}),
      },
    );
    const body = answer.body as RollbackAnswer;
    printAs(format, body, input.deps.stdout);
    const resolved = shortCommit(body.commit ?? commit);
    if (answer.status === 200) {
      if (format === "table") input.deps.stdout(`${rolledBack(service, resolved, body)}\n`);
      return EXIT.ok;
    }
    if (answer.status === 202 && !wait) {
      if (format === "table")
        input.deps.stdout(
          `rollback of ${service} to ${resolved} queued; follow it with: simple-gitops get services ${service}\n`,
        );
      return EXIT.ok;
    }
    if (answer.status === 202)
      throw new CliError(
        EXIT.failed,
        `the rollback of ${service} to ${resolved} is still running after the controller's bound (apply_timeout + health_timeout); follow it with: simple-gitops get services ${service}`,
      );
    throw new CliError(EXIT.failed, `rollback of ${service}: ${apiMessage(answer)}`);
  },
};

/** rolledBack says what a rollback that landed did, and that the service is now held there. */
function rolledBack(service: string, commit: string, answer: RollbackAnswer): string {
  const applied = countActions(answer.result?.objects ?? []) || "no objects";
  const pruned = countActions(answer.result?.pruned ?? []);
  return (
    `rolled back ${service} to ${commit}: ${applied}${pruned ? `; pruned ${pruned}` : ""}\n` +
    `${service} is suspended at ${commit} until: simple-gitops resume ${service}`
  );
}
