import { parseArgs } from "node:util";
import { CliError, EXIT, usageError } from "./cli-error.js";
import { type CliDeps, type Command, FLAGS, type Flags } from "./command.js";
import { connect } from "./connect.js";
import { diffCommand } from "./diff.js";
import { eventsCommand } from "./events.js";
import { getCommand } from "./get.js";
import { topHelp } from "./help.js";
import { historyCommand } from "./history.js";
import { reconcileCommand } from "./reconcile.js";
import { resumeCommand } from "./resume.js";
import { rollbackCommand } from "./rollback.js";
import { suspendCommand } from "./suspend.js";

/** COMMANDS are the CLI's verbs, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  getCommand,
  reconcileCommand,
  suspendCommand,
  resumeCommand,
  historyCommand,
  rollbackCommand,
  eventsCommand,
  diffCommand,
];

/**
 * runCli is `simple-gitops`: it parses the command line, runs the verb and returns the exit status (0 done, 1
 * failed or changed, 2 bad usage or configuration) instead of exiting, so tests run it in-process. Every message
 * goes to stderr, prefixed with the program's name; only what was asked for goes to stdout.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    return await dispatch(argv, deps);
  } catch (error: unknown) {
    if (error instanceof CliError) {
      deps.stderr(`simple-gitops: ${error.message}\n`);
      return error.exitCode;
    }
    if (deps.signal.aborted) {
      deps.stderr(`simple-gitops: interrupted\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

async function dispatch(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { flags, positionals } = parse(argv);
  const [verb, ...args] = positionals;
  if (verb === undefined) {
    if (flags.help === true) {
      deps.stdout(topHelp(COMMANDS));
      return EXIT.ok;
    }
    throw usageError(`a command is needed: ${COMMANDS.map((command) => command.name).join(", ")}`);
  }
  const command = COMMANDS.find((candidate) => candidate.name === verb);
  if (command === undefined) {
    const known = COMMANDS.map((candidate) => candidate.name).join(", ");
    throw usageError(`unknown command "${verb}" (known: ${known})`);
  }
  if (flags.help === true) {
    deps.stdout(`${command.help}\n`);
    return EXIT.ok;
  }
  const foreign = Object.keys(flags).filter((flag) => !command.flags.includes(flag));
  if (foreign.length > 0)
    throw usageError(`${verb} does not take ${foreign.map((flag) => `--${flag}`).join(", ")}`, verb);
  return command.run({ args, flags, deps, api: () => connect(flags, deps, verb) });
}

/** parse reads every flag of every verb; an unknown flag, or one without its value, is a usage error. */
function parse(argv: readonly string[]): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: FLAGS,
      allowPositionals: true,
      strict: true,
    });
    return { flags: values, positionals };
  } catch (error: unknown) {
    // parseArgs goes on about positionals starting with "-": the first sentence says what is wrong.
    throw usageError((error as Error).message.split(". To specify")[0] ?? "");
  }
}
