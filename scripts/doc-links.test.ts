import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { brokenLinks, githubSlug, headingAnchors, relativeLinks } from "./markdown-links.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SKIPPED = new Set(["node_modules", "dist", "coverage"]);

/** documentation lists README.md, every page of docs/ and every folder's README.md. */
function documentation(dir = ROOT): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...documentation(path));
    else if (entry.name === "README.md" || (dir === join(ROOT, "docs") && entry.name.endsWith(".md"))) {
      files.push(path);
    }
  }
  return files;
}

/** site writes markdown files into a fresh directory and returns their paths by name. */
function site(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "doc-links-"));
  mkdirSync(join(dir, "docs"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Object.fromEntries(Object.keys(files).map((name) => [name, join(dir, name)]));
}

const linksOf = (file: string) => brokenLinks(file).map(({ link }) => link);

describe("the project's documentation", () => {
  const files = documentation();

  it("covers the README, the docs pages and the folder READMEs", () => {
    const names = files.map((file) => file.slice(ROOT.length));
    expect(names).toEqual(
      expect.arrayContaining([
        "README.md",
        "docs/configuration.md",
        "docs/security.md",
        "controller/sync/README.md",
      ]),
    );
  });

  it("links only to files and headings that exist", () => {
    const checked = files.flatMap((file) => relativeLinks(readFileSync(file, "utf8")));
    expect(checked.filter((link) => link.includes("#")).length).toBeGreaterThan(5);
    expect(files.flatMap((file) => brokenLinks(file))).toEqual([]);
  });
});

describe("githubSlug", () => {
  it.each([
    ["a plain heading", "Install on a cluster", "install-on-a-cluster"],
    ["punctuation dropped", "Applyers, the chain, prune and health", "applyers-the-chain-prune-and-health"],
    ["an apostrophe", "Compared with the seed's Python version", "compared-with-the-seeds-python-version"],
    [
      "code and slashes",
      "Webhook endpoint (`POST /v1/gitops/webhook/github`)",
      "webhook-endpoint-post-v1gitopswebhookgithub",
    ],
    ["a link's text", "See [Security](security.md) first", "see-security-first"],
    ["dashes and underscores kept", "state_dir and --once", "state_dir-and---once"],
  ])("%s", (_name, heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

describe("headingAnchors", () => {
  it("numbers a repeated heading and ignores lines in fenced code", () => {
    const anchors = headingAnchors("# Tour\n## Step\n```bash\n# not a heading\n```\n## Step\n### Step ##\n");
    expect([...anchors]).toEqual(["tour", "step", "step-1", "step-2"]);
  });
});

describe("brokenLinks", () => {
  const files = site({
    "README.md": "# Project\n## Install\n",
    "docs/security.md": "# Security\n## Parsing budgets\n",
  });
  const page = (text: string) => {
    const path = files["docs/security.md"] ?? "";
    writeFileSync(path, `# Security\n## Parsing budgets\n${text}`);
    return path;
  };

  it.each([
    ["a file that exists", "[r](../README.md)", []],
    ["a heading of another file", "[r](../README.md#install)", []],
    ["a heading of the same file", "[p](#parsing-budgets)", []],
    ["a URL", "[g](https://github.com/x#nothing) <mailto:a@b>", []],
    ["a link inside a code span or a fence", "`[x](gone.md)`\n```\n[y](gone.md)\n```\n", []],
    ["a file that does not exist", "[m](metrics.md)", ["metrics.md"]],
    ["a heading another file lacks", "[r](../README.md#security)", ["../README.md#security"]],
    ["a heading the same file lacks", "[k](#kustomize)", ["#kustomize"]],
    ["an anchor in another case", "[p](#Parsing-budgets)", ["#Parsing-budgets"]],
  ])("%s", (_name, text, broken) => {
    expect(linksOf(page(text))).toEqual(broken);
  });

  it("says which file or heading is missing", () => {
    const [missing] = brokenLinks(page("[r](../README.md#security)"));
    expect(missing?.reason).toBe(`no heading with anchor #security in ${files["README.md"]}`);
  });
});
