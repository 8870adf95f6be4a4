import type { AuditEvent } from "../controller/record/state/state.js";
import type { ApiClient } from "./api-client.js";
import { CliError, EXIT, usageError } from "./cli-error.js";
import { CONNECTION_FLAGS, type Command, type CommandInput, stringFlag } from "./command.js";
import { CONNECTION_HELP } from "./help.js";
import { type OutputFormat, outputFormat, render } from "./output.js";
import { age, countActions, formatTable, oneLine, shortCommit } from "./table.js";

/** EVENTS_INTERVAL_MS is how often `events --follow` reads the audit trail again. */
export const EVENTS_INTERVAL_MS = 2000;

/** EventsAnswer is the audit trail as `GET /v1/gitops/events` answers it, newest first. */
interface EventsAnswer {
  readonly count: number;
  readonly events: AuditEvent[];
  readonly timestamp: string;
}

const HEADERS = ["AGE", "SERVICE", "KIND", "TRIGGER", "RESULT", "COMMIT", "ACTOR", "MESSAGE"];

/** eventsCommand is `events [--service S] [--follow]`: the audit trail, oldest first, and what is added to it. */
export const eventsCommand: Command = {
  name: "events",
  usage: "events [--service S] [--follow]",
  summary: "the audit trail: syncs, prunes, drift, suspends, resumes",
  help: `Usage: simple-gitops events [--service S] [--limit N] [--follow] [-o json|yaml]

Print the controller's audit trail (GET /v1/gitops/events), oldest first: AGE, SERVICE, KIND (apply, prune, drift,
suspend, resume), TRIGGER, RESULT, COMMIT, ACTOR and MESSAGE (the error, the reason, or what was done to how many
objects).

  --service S   only the events of service S: its last 20 (GET /v1/gitops/services/S)
  --limit N     how many of the newest events, 1 to 200 (default 50; with --service at most 20)
  -f, --follow  then keep reading every 2 s and print each new event, until Ctrl-C; with -o json one JSON object
                per line, with -o yaml one document per event

Exit status: 0 printed (or followed until Ctrl-C); 1 the controller could not be reached; 2 bad usage, an unknown
service or a missing read token.

${CONNECTION_HELP}`,
  flags: [...CONNECTION_FLAGS, "output", "service", "limit", "follow"],
  async run(input) {
    if (input.args.length > 0)
      throw usageError(`events takes no argument, not ${input.args.join(" ")}`, "events");
    const format = outputFormat(input.flags, "events");
    const read = eventReader(input);
    const follow = input.flags.follow === true;
    const first = await read();
    print(format, first, first.events, follow, true, input);
    if (!follow) return EXIT.ok;
    return followEvents(first, read, format, input);
  },
};

/** eventReader reads the newest events, of one service when --service is given. */
function eventReader(input: CommandInput): () => Promise<EventsAnswer> {
  const service = stringFlag(input.flags, "service");
  const limitText = stringFlag(input.flags, "limit");
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limitText !== undefined && !(Number.isInteger(limit) && (limit ?? 0) >= 1 && (limit ?? 0) <= 200))
    throw usageError(`--limit must be a whole number from 1 to 200, not "${limitText}"`, "events");
  const api: ApiClient = input.api();
  if (service === undefined) {
    const path = `/v1/gitops/events?limit=${input.flags.follow === true ? 200 : (limit ?? 50)}`;
    return async () => (await api.read(path)) as EventsAnswer;
  }
  const path = `/v1/gitops/services/${encodeURIComponent(service)}`;
  return async () => {
    const detail = (await api.read(path)) as { events: AuditEvent[]; timestamp: string };
    const events = detail.events.slice(0, limit ?? detail.events.length);
    return { count: events.length, events, timestamp: detail.timestamp };
  };
}

/**
 * followEvents reads the trail every EVENTS_INTERVAL_MS and prints what it did not hold the time before, until the
 * signal ends it. A read that fails is said on stderr and tried again (a controller restarting); a read refused for
 * a reason another try cannot change (a token, an unknown service) ends it.
 */
async function followEvents(
  first: EventsAnswer,
  read: () => Promise<EventsAnswer>,
  format: OutputFormat,
  input: CommandInput,
): Promise<number> {
  const { deps } = input;
  // The answer is a window of the newest events: what left it cannot come back, so it is all there is to remember.
  let seen = new Set(first.events.map((event) => event.id));
  let header = first.events.length === 0;
  while (!deps.signal.aborted) {
    try {
      await deps.sleep(EVENTS_INTERVAL_MS, deps.signal);
      const answer = await read();
      const fresh = answer.events.filter((event) => !seen.has(event.id));
      seen = new Set(answer.events.map((event) => event.id));
      if (fresh.length > 0) {
        print(format, answer, fresh, true, header, input);
        header = false;
      }
    } catch (error: unknown) {
      if (deps.signal.aborted) break;
      if (error instanceof CliError && error.exitCode === EXIT.usage) throw error;
      deps.stderr(`simple-gitops: events: ${(error as Error).message}; trying again\n`);
    }
  }
  return EXIT.ok;
}

/** print writes events oldest first: a table (its header once), the API's answer, or one line/document each. */
function print(
  format: OutputFormat,
  answer: EventsAnswer,
  events: readonly AuditEvent[],
  follow: boolean,
  header: boolean,
  input: CommandInput,
): void {
  const { stdout, stderr } = input.deps;
  const oldestFirst = [...events].reverse();
  if (format === "json" && follow) {
    for (const event of oldestFirst) stdout(`${JSON.stringify(event)}\n`);
  } else if (format === "yaml" && follow) {
    for (const event of oldestFirst) stdout(`---\n${render(event, "yaml")}`);
  } else if (format !== "table") {
    stdout(render(answer, format));
  } else if (events.length === 0) {
    if (!follow) stderr("No events.\n");
  } else {
    const now = Date.parse(answer.timestamp);
    const table = formatTable(
      HEADERS,
      oldestFirst.map((event) => row(event, now)),
    );
    stdout(header ? table : table.slice(table.indexOf("\n") + 1));
  }
}

function row(event: AuditEvent, now: number): string[] {
  const done = countActions(event.objects);
  return [
    age(event.time, now),
    event.service,
    event.kind,
    event.trigger,
    event.result,
    shortCommit(event.commit),
    event.actor ?? "",
    oneLine(event.error ?? event.reason ?? done),
  ];
}
