import type { Logger } from "pino";
import { z } from "zod";
import { toConfigIssues } from "../../config/zod-issues.js";
import { type ControllerState, emptyState, type ServiceState } from "./state.js";

// A time that `new Date()` can read: a malformed one ("Invalid time value") would fail every later sync.
const time = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "expected an ISO 8601 time");
const ref = {
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  namespace: z.string().optional(),
  name: z.string().min(1),
};

// Loose objects: a field this version does not know is kept, not stripped, so a newer writer's extra data survives.
const serviceSchema = z
  .looseObject({
    commit: z.string().min(1).optional(),
    files: z.record(z.string(), z.string()).default({}),
    inventory: z.array(z.object(ref)).default([]),
    // Records written before whole-set syncs kept `objects` as a map: read as none.
    objects: z
      .unknown()
      .transform((value) => (Array.isArray(value) ? value : []))
      .pipe(z.array(z.looseObject({ ...ref, action: z.string() }))),
    lastDeployTime: time.optional(),
    lastError: z
      .looseObject({ message: z.string(), code: z.string(), at: time, commit: z.string().optional() })
      .optional(),
    failures: z.number().int().nonnegative().default(0),
    retryAfter: time.optional(),
    drift: z
      .looseObject({
        checkedAt: time,
        mode: z.enum(["correct", "report"]),
        objects: z.array(z.looseObject({ ...ref, action: z.enum(["created", "configured"]) })),
      })
      .optional(),
    bootstrap: z.looseObject({ bootstrap: z.boolean(), reason: z.string() }).optional(),
    suspended: z
      .looseObject({
        by: z.string().min(1),
        at: time,
        reason: z.string().optional(),
        commit: z.string().min(1).optional(),
      })
      .optional(),
    history: z
      .array(
        z.looseObject({
          commit: z.string().min(1),
          time,
          trigger: z.string().min(1),
          objects: z.number().int().nonnegative(),
          files: z.array(z.string()).optional(),
        }),
      )
      .optional(),
    rolledBack: z
      .looseObject({
        restoredCommit: z.string().min(1),
        fromCommit: z.string().min(1).optional(),
        failedCommit: z.string().min(1).optional(),
        at: time,
        by: z.string().min(1),
        reason: z.string(),
      })
      .optional(),
    addedByFailures: z.array(z.looseObject({ ...ref, created: z.boolean() })).optional(),
  })
  .transform(({ configFiles: _configFiles, ...service }) => service);

const repoSchema = z.looseObject({ commit: z.string().min(1), time });

const eventSchema = z.looseObject({
  id: z.string(),
  time,
  trigger: z.string(),
  kind: z.enum(["apply", "prune", "drift", "suspend", "resume", "rollback"]),
  service: z.string(),
  repo: z.string(),
  commit: z.string(),
  result: z.enum(["succeeded", "failed"]),
  objects: z.array(z.looseObject({ kind: z.string(), name: z.string(), action: z.string() })),
  durationMs: z.number(),
});

// Loose too: a top-level field another part of the controller keeps (e.g. `waiting`) is carried through as it is.
const documentSchema = z.looseObject({
  version: z.literal(1),
  services: z.record(z.string(), z.unknown()),
  repos: z.record(z.string(), z.unknown()).default({}),
  events: z.array(z.unknown()),
});

/** DroppedEntry is one stored entry that failed validation and was left out: which one, and why. */
export interface DroppedEntry {
  readonly entry: string;
  readonly reason: string;
}

/**
 * ParsedState is a stored document read: the state with every valid entry (and what was dropped), or why the
 * document as a whole cannot be read (not JSON, empty, truncated, not a version 1 state).
 */
export type ParsedState =
  | { readonly ok: true; readonly state: ControllerState; readonly dropped: readonly DroppedEntry[] }
  | { readonly ok: false; readonly reason: string };

/**
 * parseState validates a stored document entry by entry: one malformed service, repository or audit event is
 * dropped (and named in `dropped`) while the rest are kept, so one bad record cannot fail every sync.
 */
export function parseState(text: string): ParsedState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  const document = documentSchema.safeParse(value);
  if (!document.success) {
    return { ok: false, reason: `not a simple-gitops state (version 1): ${issues(document.error)}` };
  }
  const dropped: DroppedEntry[] = [];
  const keep = <T>(schema: z.ZodType<T>, entry: string, item: unknown): T | undefined => {
    const parsed = schema.safeParse(item);
    if (parsed.success) return parsed.data;
    dropped.push({ entry, reason: issues(parsed.error) });
    return undefined;
  };
  const valid = <T>(schema: z.ZodType<T>, kind: string, entries: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(entries).flatMap(([name, item]) => {
        const data = keep(schema, `${kind} "${name}"`, item);
        return data === undefined ? [] : [[name, data]];
      }),
    );
  const { services, repos, events, ...rest } = document.data;
  const state: ControllerState = {
    ...rest,
    version: 1,
    services: valid(serviceSchema, "service", services) as Record<string, ServiceState>,
    repos: valid(repoSchema, "repository", repos),
    events: events.flatMap((event, index) => {
      const data = keep(eventSchema, `audit event ${index}`, event);
      return data === undefined ? [] : [data as ControllerState["events"][number]];
    }),
  };
  return { ok: true, state, dropped };
}

function issues(error: z.ZodError): string {
  return toConfigIssues(error.issues, () => [])
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join("; ");
}

/**
 * recoverState reads a stored document and never refuses to start: an unreadable one is handed to `moveAside`
 * (which keeps it under a new name and says where) and the empty state is returned; an invalid entry is dropped.
 * Each is an error line naming the store and the entry, because what it held is lost until a person looks.
 */
export async function recoverState(
  text: string,
  where: string,
  log: Logger,
  moveAside: () => Promise<string>,
): Promise<ControllerState> {
  return (await recoverDocument(text, where, log, moveAside)).state;
}

/**
 * recoverDocument is {@link recoverState}, also saying whether the state is all the document held (`complete`:
 * nothing dropped, nothing moved aside), so a store knows whether what is stored is what it would write.
 */
export async function recoverDocument(
  text: string,
  where: string,
  log: Logger,
  moveAside: () => Promise<string>,
): Promise<{ readonly state: ControllerState; readonly complete: boolean }> {
  const parsed = parseState(text);
  if (!parsed.ok) {
    const movedTo = await moveAside();
    log.error(
      { store: where, movedTo, reason: parsed.reason },
      `state unreadable: moved it aside to ${movedTo} and started from an empty state; every service is applied ` +
        "again and nothing is pruned that this state alone knew of",
    );
    return { state: emptyState(), complete: false };
  }
  for (const { entry, reason } of parsed.dropped) {
    log.error(
      { store: where, entry, reason },
      `state: dropped invalid ${entry} (${reason}); it starts afresh`,
    );
  }
  return { state: parsed.state, complete: parsed.dropped.length === 0 };
}

/** corruptSuffix names a moved-aside copy by the time it was moved: `corrupt-20260101t000000z`. */
export function corruptSuffix(now: number): string {
  return `corrupt-${new Date(now)
    .toISOString()
    .replace(/[-:]|\.\d+/g, "")
    .toLowerCase()}`;
}
