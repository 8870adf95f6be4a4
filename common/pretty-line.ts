/**
 * PRETTY_VALUE_LIMIT bounds one field's text in a pretty line: a list of 40 paths stays readable, and the JSON format
 * still has it all.
 */
export const PRETTY_VALUE_LIMIT = 200;

// Printed in the line's head, or by pino-pretty itself (time, level), or of no use to a person (pid, hostname).
const HEAD = new Set(["level", "time", "pid", "hostname", "msg", "component", "service", "commit", "dryRun"]);
const OBJECT = new Set(["apiVersion", "kind", "namespace", "name", "action"]);
// Repeated on every object line of a sync; the sync's own line says them once.
const SYNC_CONTEXT = new Set(["repo", "trigger"]);

/**
 * prettyLine is the message of one log record in `LOG_FORMAT=pretty`: everything after pino-pretty's time and level,
 * on one line. `component: service@commit message Kind namespace/name action`, then every other field as
 * `key=value`; an error shows its code and whole message, not its stack.
 */
export function prettyLine(record: Readonly<Record<string, unknown>>): string {
  const names = typeof record.kind === "string";
  const head = [
    typeof record.component === "string" ? `${record.component}:` : "",
    subject(record),
    oneLine(String(record.msg ?? "")),
    names ? objectName(record) : "",
    names && typeof record.action === "string" ? record.action : "",
    record.dryRun === true ? "(dry run)" : "",
  ];
  const fields = Object.entries(record).flatMap(([key, value]) => {
    if (HEAD.has(key) || (names && (OBJECT.has(key) || SYNC_CONTEXT.has(key)))) return [];
    const text = fieldText(key, value);
    return text === undefined ? [] : [`${key}=${text}`];
  });
  return [...head, ...fields].filter((part) => part !== "").join(" ");
}

function subject(record: Readonly<Record<string, unknown>>): string {
  const commit = typeof record.commit === "string" && record.commit ? `@${record.commit.slice(0, 12)}` : "";
  return typeof record.service === "string" ? `${record.service}${commit}` : commit;
}

function objectName(record: Readonly<Record<string, unknown>>): string {
  const namespace = typeof record.namespace === "string" && record.namespace ? `${record.namespace}/` : "";
  return `${record.kind} ${namespace}${String(record.name ?? "")}`;
}

/** fieldText renders one field's value, or undefined for a value that says nothing (absent, empty). */
function fieldText(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  // An error is what a person reads the line for: its message is never cut, its stack is left to JSON.
  if ((key === "err" || key === "error") && typeof value === "object" && "message" in value) {
    const code = "code" in value && typeof value.code === "string" ? `${value.code}: ` : "";
    return JSON.stringify(oneLine(`${code}${String(value.message)}`));
  }
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : quoted(value);
  if (typeof value !== "object") return String(value);
  const text = JSON.stringify(value, (_key, inner: unknown) => (isEmpty(inner) ? undefined : inner));
  return text === undefined || text === "{}" || text === "[]" ? undefined : bounded(text);
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function quoted(text: string): string {
  return bounded(JSON.stringify(text));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

function bounded(text: string): string {
  return text.length > PRETTY_VALUE_LIMIT ? `${text.slice(0, PRETTY_VALUE_LIMIT)}…` : text;
}
