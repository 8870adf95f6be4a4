import type { BlobText } from "./plan.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * decodeBlobText decides whether blob bytes are a manifest's text: a NUL byte or invalid UTF-8 means binary, which
 * fails the file's service (naming it) rather than handing garbage to a YAML parser.
 */
export function decodeBlobText(bytes: Uint8Array): BlobText {
  if (bytes.includes(0)) return { kind: "binary" };
  try {
    return { kind: "text", text: utf8.decode(bytes) };
  } catch {
    return { kind: "binary" };
  }
}

/** blobTextSize is what a decoded blob costs in a cache, in bytes (UTF-16 code units are two bytes each). */
export function blobTextSize(blob: BlobText): number {
  return blob.kind === "text" ? blob.text.length * 2 : 1;
}
