import type { Command } from "./command.js";
import { ACTOR_HELP, CONNECTION_HELP, WRITE_HELP } from "./help.js";
import { changeSuspension, SUSPENSION_FLAGS } from "./suspension.js";

/** suspendCommand is `suspend SERVICE`: hold the service where it is until it is resumed. */
export const suspendCommand: Command = {
  name: "suspend",
  usage: "suspend SERVICE",
  summary: "hold a service: nothing applied, corrected or pruned until resumed",
  help: `Usage: simple-gitops suspend SERVICE [--reason TEXT] [--actor NAME]

Suspend SERVICE (POST /v1/gitops/services/SERVICE/suspend): polls, reconciles, webhooks and manual syncs leave it
out, so a hotfix made by hand is not undone, until it is resumed. A sync of it already under way finishes first;
the command returns once that is recorded. The suspension survives restarts. Suspending a suspended service keeps
the first suspension's who, when and why.

${ACTOR_HELP}

Exit status: 0 suspended (or already); 1 the controller could not be reached or refused (503 on a replica that does
not lead: ask again); 2 bad usage, an unknown service, or a missing or refused token.

${WRITE_HELP}

${CONNECTION_HELP}`,
  flags: SUSPENSION_FLAGS,
  run: (input) => changeSuspension("suspend", input),
};
