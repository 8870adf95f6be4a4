import type { SuspensionView } from "../controller/report/server/control-views.js";
import { EXIT } from "./cli-error.js";
import { CONNECTION_FLAGS, type CommandInput, oneArgument, stringFlag, WRITE_FLAGS } from "./command.js";
import { outputFormat, printAs } from "./output.js";
import { shortCommit } from "./table.js";

/** SuspensionAnswer is what `POST /v1/gitops/services/NAME/suspend` and `/resume` answer. */
interface SuspensionAnswer {
  readonly service: string;
  readonly changed: boolean;
  readonly suspended: SuspensionView | null;
  readonly previous?: SuspensionView | null;
}

/** SUSPENSION_FLAGS are the flags of suspend and resume. */
export const SUSPENSION_FLAGS = [...CONNECTION_FLAGS, ...WRITE_FLAGS, "output", "reason", "actor"];

/**
 * changeSuspension suspends or resumes a service, with the reason and the actor, and says what changed; -o json or
 * yaml prints the API's answer.
 */
export async function changeSuspension(kind: "suspend" | "resume", input: CommandInput): Promise<number> {
  const service = oneArgument(input, kind, "SERVICE");
  const format = outputFormat(input.flags, kind);
  const reason = stringFlag(input.flags, "reason");
  const answer = await input
    .api()
    .write(
      `/v1/gitops/services/${encodeURIComponent(service)}/${kind}`,
      reason === undefined ? {} : { reason },
      {
        verb: kind,
        expect: [200],
      },
    );
  const body = answer.body as SuspensionAnswer;
  if (!printAs(format, body, input.deps.stdout)) input.deps.stdout(`${describe(kind, body)}\n`);
  return EXIT.ok;
}

function describe(kind: "suspend" | "resume", answer: SuspensionAnswer): string {
  const { service, changed } = answer;
  const held = kind === "suspend" ? answer.suspended : answer.previous;
  const who = held ? ` by ${held.by} at ${held.at}${held.reason ? ` (${held.reason})` : ""}` : "";
  if (kind === "suspend") {
    const at = held?.commit ? `, held at ${shortCommit(held.commit)}` : "";
    return changed
      ? `${service} suspended${who}${at}: nothing is applied, corrected or pruned until: simple-gitops resume ${service}`
      : `${service} was already suspended${who}${at}`;
  }
  return changed
    ? `${service} resumed (it was suspended${who}): the next poll applies the head of its branch`
    : `${service} was not suspended`;
}
