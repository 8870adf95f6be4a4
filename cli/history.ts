import type { HistoryEntry } from "../controller/record/state/state.js";
import { EXIT } from "./cli-error.js";
import { CONNECTION_FLAGS, type Command, oneArgument } from "./command.js";
import { CONNECTION_HELP } from "./help.js";
import { outputFormat, printAs } from "./output.js";
import { age, formatTable, oneLine, shortCommit } from "./table.js";

/** historyCommand is `history SERVICE`: the commits whose whole set landed, the ones a rollback may restore. */
export const historyCommand: Command = {
  name: "history",
  usage: "history SERVICE",
  summary: "the commits that landed for a service, newest first",
  help: `Usage: simple-gitops history SERVICE [-o json|yaml]

List the commits whose whole set landed for SERVICE (GET /v1/gitops/services/SERVICE/history), newest first, at most
50: COMMIT, LANDED (how long ago, by the controller's clock), TRIGGER (what synced it: poll, webhook, manual,
reconcile, rollback, ...), OBJECTS (how many the set held) and FILES (the paths that commit changed). Any of them
can be restored with: simple-gitops rollback SERVICE --to COMMIT

Exit status: 0 printed; 1 the controller could not be reached; 2 bad usage, an unknown service or a missing read
token.

${CONNECTION_HELP}`,
  flags: [...CONNECTION_FLAGS, "output"],
  async run(input) {
    const service = oneArgument(input, "history", "SERVICE");
    const format = outputFormat(input.flags, "history");
    const answer = (await input.api().read(`/v1/gitops/services/${encodeURIComponent(service)}/history`)) as {
      history: HistoryEntry[];
      timestamp: string;
    };
    if (printAs(format, answer, input.deps.stdout)) return EXIT.ok;
    if (answer.history.length === 0) {
      input.deps.stderr(`${service} has landed no commit yet: nothing to roll back to\n`);
      return EXIT.ok;
    }
    const now = Date.parse(answer.timestamp);
    input.deps.stdout(
      formatTable(
        ["COMMIT", "LANDED", "TRIGGER", "OBJECTS", "FILES"],
        answer.history.map((entry) => [
          shortCommit(entry.commit),
          age(entry.time, now),
          entry.trigger,
          String(entry.objects),
          oneLine((entry.files ?? []).join(", "), 80),
        ]),
      ),
    );
    return EXIT.ok;
  },
};
