import type { Command } from "./command.js";
import { ACTOR_HELP, CONNECTION_HELP, WRITE_HELP } from "./help.js";
import { changeSuspension, SUSPENSION_FLAGS } from "./suspension.js";

/** resumeCommand is `resume SERVICE`: let git drive a suspended (or rolled back) service again. */
export const resumeCommand: Command = {
  name: "resume",
  usage: "resume SERVICE",
  summary: "let git drive a suspended or rolled back service again",
  help: `Usage: simple-gitops resume SERVICE [--reason TEXT] [--actor NAME]

Resume SERVICE (POST /v1/gitops/services/SERVICE/resume): the next poll applies the head of its branch and puts back
whatever was edited by hand. A service rolled back is suspended at the commit it was rolled back to: resume it once
git holds the fix.

${ACTOR_HELP}

Exit status: 0 resumed (or it was not suspended); 1 the controller could not be reached or refused (503 on a
replica that does not lead: ask again); 2 bad usage, an unknown service, or a missing or refused token.

${WRITE_HELP}

${CONNECTION_HELP}`,
  flags: SUSPENSION_FLAGS,
  run: (input) => changeSuspension("resume", input),
};
