import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** BrokenLink is a relative link of a markdown file whose file or heading does not exist, and why. */
export interface BrokenLink {
  readonly file: string;
  readonly link: string;
  readonly reason: string;
}

// Fenced blocks hold shell comments (`# 1. See it work`) and sample text, neither headings nor links.
const withoutFences = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
// A code span is text, not a link: `[a](b)` inside backticks links nowhere.
const withoutCode = (markdown: string) => withoutFences(markdown).replace(/`[^`\n]*`/g, "");

/**
 * githubSlug is the anchor GitHub gives a heading's text: link syntax reduced to its text, lower case, punctuation
 * dropped (letters, digits, `_` and `-` stay), each space a dash.
 */
export function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N} _-]/gu, "")
    .replaceAll(" ", "-");
}

/** headingAnchors lists the anchors of a markdown text's headings; a repeated one gets `-1`, `-2`, … as on GitHub. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, text = ""] of withoutFences(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = githubSlug(text);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** relativeLinks lists the targets of a markdown text's inline links and images, leaving out URLs with a scheme. */
export function relativeLinks(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)]
    .map(([, target = ""]) => target)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target));
}

/**
 * brokenLinks checks each relative link of `markdown`, read as the file at `file`: the file it names exists, and
 * when it names a heading (`#anchor`, or `other.md#anchor`) the markdown file has that heading.
 */
export function brokenLinks(file: string, markdown: string = readFileSync(file, "utf8")): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const link of relativeLinks(markdown)) {
    const [path = "", anchor] = link.split("#", 2);
    const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(target)) {
      broken.push({ file, link, reason: `no file ${target}` });
      continue;
    }
    if (anchor === undefined || !target.endsWith(".md") || statSync(target).isDirectory()) continue;
    const text = target === file ? markdown : readFileSync(target, "utf8");
    if (!headingAnchors(text).has(decodeURIComponent(anchor))) {
      broken.push({ file, link, reason: `no heading with anchor #${anchor} in ${target}` });
    }
  }
  return broken;
}
