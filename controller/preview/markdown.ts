/**
 * Markdown for text that comes from a pull request (paths, object names, error messages, diffs): nothing in it may
 * close a code span or fence, open an HTML tag, end an HTML block or mention anyone, whatever it holds.
 */

// \p{Cc} is every control character: newlines, tabs, NUL, DEL.
const CONTROL = /\p{Cc}+/gu;

/** oneLine replaces control characters (newlines included) by a space, so a value cannot end its line or block. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, " ");
}

function longestRun(text: string): number {
  return Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
}

/** codeSpan is a markdown code span whose delimiter is longer than any run of backticks in `text`. */
export function codeSpan(text: string): string {
  const clean = oneLine(text);
  const ticks = "`".repeat(longestRun(clean) + 1);
  // A span that starts or ends with a backtick needs a space between it and its delimiter.
  const pad = clean.startsWith("`") || clean.endsWith("`") ? " " : "";
  return `${ticks}${pad}${clean}${pad}${ticks}`;
}

/** codeBlock is a fenced block whose fence is longer than any run of backticks in `text`. */
export function codeBlock(text: string, info = ""): string {
  const fence = "`".repeat(Math.max(3, longestRun(text) + 1));
  const body = text.endsWith("\n") ? text : `${text}\n`;
  return `${fence}${info}\n${body}${fence}\n`;
}

/** htmlCode is `text` as `<code>` for an HTML context (a `<summary>`), escaped and on one line. */
export function htmlCode(text: string): string {
  const escaped = oneLine(text)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
  return `<code>${escaped}</code>`;
}
