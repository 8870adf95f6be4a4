/** MAX_MESSAGE_CHARS bounds the part of kustomize's message a service's error carries. */
const MAX_MESSAGE_CHARS = 2_000;

/**
 * kustomizeMessage is kustomize's own error, as a service's error shows it: out of kubectl's log framing
 * (`E1130 … run.go:72] "command failed" err="…"`, or `err=<` … `>` when it spans lines), with the temporary
 * checkout's paths replaced by repository paths, trimmed and bounded.
 */
export function kustomizeMessage(stderr: string, checkout: string): string {
  return bounded(inRepositoryTerms(stderr, checkout));
}

/**
 * inRepositoryTerms is kustomize's error out of kubectl's log framing, with the temporary checkout's paths replaced
 * by repository paths, trimmed: {@link kustomizeMessage} before it is bounded, for callers that read it further.
 */
export function inRepositoryTerms(stderr: string, checkout: string): string {
  return unframed(stderr.trim())
    .split(`${checkout}/`)
    .join("")
    .split(checkout)
    .join(".")
    .replace(/^(?:error|Error): /, "")
    .trim();
}

/** bounded is a message cut to the part of it a service's error carries. */
export function bounded(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

function unframed(stderr: string): string {
  const quoted = /"command failed" err="((?:[^"\\]|\\.)*)"/.exec(stderr);
  if (quoted?.[1] !== undefined) {
    try {
      return JSON.parse(`"${quoted[1]}"`) as string;
    } catch {
      return quoted[1];
    }
  }
  const block = /"command failed" err=<\n([\s\S]*?)\n\s*>/.exec(stderr);
  if (block?.[1] !== undefined)
    return block[1]
      .split("\n")
      .map((line) => line.replace(/^\t/, ""))
      .join("\n");
  return stderr;
}
