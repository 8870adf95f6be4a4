import { scrubSecrets } from "../source/log.js";
import { codeBlock, codeSpan, htmlCode, oneLine } from "./markdown.js";
import type { ChangedObject, Preview, PreviewError, PreviewObject, ServicePreview } from "./types.js";

/** MAX_COMMENT is GitHub's limit on a comment's body: 65 536 characters. */
export const MAX_COMMENT = 65_536;

/** CommentSettings are what every preview comment of this controller shares. */
export interface CommentSettings {
  readonly clusterName: string;
  /** Where the full preview is: a URL, or how to ask the controller for it. */
  readonly fullPreview: (preview: Preview) => string;
  readonly secrets: readonly string[];
  /** The most characters a body may have. Default {@link MAX_COMMENT}. */
  readonly limit?: number;
}

/** commentMarker is the hidden line that finds this cluster's preview comment among a pull request's comments. */
export function commentMarker(clusterName: string): string {
  return `<!-- simple-gitops:preview cluster=${clusterName} -->`;
}

// Room kept for the line that says the comment was cut, and for the link to the full preview.
const TAIL_ROOM = 800;

const label = (object: PreviewObject) =>
  [object.apiVersion, object.kind, ...(object.namespace ? [object.namespace] : []), object.name].join("/");

/**
 * previewComment is the pull request comment of a preview: a hidden marker (so the same comment is edited on each
 * push), the verdict, a table of what each touched service would get, every error a sync would meet, what would be
 * pruned, and the diffs folded per object. Whatever the pull request holds, the body stays within GitHub's limit:
 * parts that do not fit are left out (a diff cut at a line) and the comment says so and where the full preview is.
 */
export function previewComment(preview: Preview, settings: CommentSettings): string {
  const limit = (settings.limit ?? MAX_COMMENT) - TAIL_ROOM;
  const scrub = (text: string) => scrubSecrets(text, settings.secrets);
  const parts: string[] = [];
  let used = 0;
  let cut = false;
  const add = (text: string) => {
    if (cut || used + text.length > limit) {
      cut = true;
      return false;
    }
    parts.push(text);
    used += text.length;
    return true;
  };
  add(`${header(preview, settings.clusterName)}\n`);
  add(`${summaryTable(preview.services)}\n`);
  for (const service of preview.services)
    for (const error of service.errors) add(errorItem(service, error, scrub));
  for (const service of preview.services) {
    const leaving = [
      ...service.pruned.map((object) => `- pruned: ${objectText(object)}\n`),
      ...service.left.map((object) => `- left in the cluster (${object.reason}): ${objectText(object)}\n`),
    ];
    if (leaving.length > 0) add(`\n**${service.service}**: objects that leave git\n\n${leaving.join("")}`);
  }
  const folds = preview.services.flatMap((service) => [
    ...service.created.map((object) => ({ service: service.service, verb: "created", object })),
    ...service.changed.map((object) => ({ service: service.service, verb: "changed", object })),
  ]);
  for (const { service, verb, object } of folds) {
    if (add(diffFold(service, verb, object, scrub))) continue;
    // The first diff that does not fit goes in as far as it fits, cut at a line; nothing after it.
    const partial = diffFold(service, verb, object, scrub, limit - used - 400);
    if (partial.length <= limit - used) parts.push(partial);
    break;
  }
  const full = oneLine(settings.fullPreview(preview));
  parts.push(
    cut
      ? `\n**Cut short**: GitHub keeps a comment to ${MAX_COMMENT.toLocaleString("en")} characters. The full preview: ${full}\n`
      : `\nThe full preview: ${full}\n`,
  );
  return parts.join("");
}

function header(preview: Preview, clusterName: string): string {
  const verdict = preview.state === "success" ? "✅ merging would land" : "❌ merging would fail to land";
  return [
    commentMarker(clusterName),
    `### simple-gitops on ${codeSpan(clusterName)}: ${verdict}`,
    "",
    // A failure's description quotes what the pull request holds: shown as code, it can neither format nor mention.
    preview.state === "success" ? oneLine(preview.description) : codeSpan(preview.description),
    "",
    `<sub>Previewed at ${preview.commit.slice(0, 12)} (${preview.at}), against the live cluster with a server-side dry run. Nothing is applied before the merge; this comment is edited on each push.</sub>`,
    "",
  ].join("\n");
}

function summaryTable(services: readonly ServicePreview[]): string {
  if (services.length === 0) return "This pull request touches no service of this cluster.\n";
  const rows = services.map(
    (s) =>
      `| ${s.service} | ${s.created.length} | ${s.changed.length} | ${s.pruned.length} | ${s.unchanged} | ${s.lands ? "lands" : `**fails** (${s.errors.length} error${s.errors.length === 1 ? "" : "s"})`} |`,
  );
  return [
    "| service | created | changed | pruned | unchanged | |",
    "|---|---:|---:|---:|---:|---|",
    ...rows,
    "",
  ].join("\n");
}

function objectText(object: PreviewObject): string {
  return `${codeSpan(label(object))}${object.path ? ` from ${codeSpan(object.path)}` : ""}`;
}

function errorItem(service: ServicePreview, error: PreviewError, scrub: (text: string) => string): string {
  const where = [
    ...(error.path ? [codeSpan(error.path)] : []),
    ...(error.object ? [codeSpan(error.object)] : []),
  ].join(" ");
  const code = error.code ? ` ${codeSpan(error.code)}` : "";
  return `\n**${service.service}** would fail at ${where || "its directory"}${code}:\n\n${codeBlock(scrub(error.message), "text")}`;
}

/** diffFold is one object's diff folded under a summary; with `room`, the diff is cut at a line to fit in it. */
function diffFold(
  service: string,
  verb: string,
  object: ChangedObject,
  scrub: (text: string) => string,
  room?: number,
): string {
  const from = object.path ? ` from ${htmlCode(object.path)}` : "";
  const summary = `<details><summary>${service}: ${verb} ${htmlCode(label(object))}${from}</summary>\n\n`;
  const note = object.note ? `${codeBlock(scrub(object.note), "text")}\n` : "";
  let diff = scrub(object.diff);
  if (room !== undefined && diff.length > room) {
    const lines = diff.slice(0, room).split("\n");
    diff = `${lines.slice(0, -1).join("\n")}\n… the rest of this diff is cut\n`;
  }
  const body = diff === "" ? "" : codeBlock(diff, "diff");
  return `${summary}${note}${body}\n</details>\n`;
}
