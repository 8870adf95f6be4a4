import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The folders of the pipeline and what each may import, read from the `May import:` line of its README, so the
// README that says the rule and the test that holds it cannot disagree.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TOP_ROOMS = ["common", "kube", "applyers", "install", "cli"];
const CONTROLLER_ROOMS = readdirSync(join(ROOT, "controller")).filter((name) =>
  statSync(join(ROOT, "controller", name)).isDirectory(),
);
const ROOMS = [...TOP_ROOMS, ...CONTROLLER_ROOMS.map((name) => `controller/${name}`)];

function mayImport(room: string): string[] | undefined {
  const readme = join(ROOT, room, "README.md");
  if (!existsSync(readme)) return undefined;
  const line = readFileSync(readme, "utf8")
    .split("\n")
    .find((l) => l.startsWith("May import:"));
  if (line === undefined) return undefined;
  return line
    .slice("May import:".length)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && !s.startsWith("("));
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
    .map((file) => join(dir, file));
}

/** roomOf is the room a repository path belongs to, or undefined for paths outside every room. */
function roomOf(path: string): string | undefined {
  return ROOMS.find((room) => path === room || path.startsWith(`${room}/`));
}

/** importsOf lists the repository paths a file imports relatively (types included). */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => m[1] ?? "",
  );
  return specs.map((spec) => normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"));
}

/** violations lists `file -> import` pairs that reach a room the file's room may not import, or test code. */
function violations(files: readonly { file: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const { file, text } of files) {
    const from = roomOf(file);
    if (from === undefined) continue;
    const allowed = mayImport(from) ?? [];
    for (const target of importsOf(file, text)) {
      if (target.startsWith("test/"))
        found.push(`${file} -> ${target}: production code may not import test helpers`);
      const to = roomOf(target);
      if (to === undefined || to === from || allowed.includes(to)) continue;
      found.push(
        `${file} -> ${target}: ${from} may import only ${allowed.join(", ") || "nothing of the project"}`,
      );
    }
  }
  return found;
}

const tree = ROOMS.flatMap(sources).map((file) => ({ file, text: readFileSync(join(ROOT, file), "utf8") }));

describe("the layout", () => {
  it("gives every folder of the pipeline a README that says what it may import", () => {
    expect(ROOMS.filter((room) => mayImport(room) === undefined)).toEqual([]);
  });

  it("has no import against the direction the READMEs declare", () => {
    expect(violations(tree)).toEqual([]);
  });

  it("keeps test helpers out of production folders", () => {
    const helpers = tree.filter(({ file }) =>
      /(^|\/)test-|test-support|test-harness/.test(relative(ROOT, join(ROOT, file))),
    );
    expect(helpers.map(({ file }) => file)).toEqual([]);
  });

  it.each([
    {
      name: "a stage importing a later one",
      file: "controller/desired/x.ts",
      spec: "../record/state/state.js",
    },
    {
      name: "a shared helper importing the controller",
      file: "common/x.ts",
      spec: "../controller/config/types.js",
    },
    {
      name: "the apply stage importing the controller",
      file: "applyers/x.ts",
      spec: "../controller/health/health.js",
    },
    {
      name: "a report reaching into the previews, which report through it",
      file: "controller/report/server/x.ts",
      spec: "../../preview/runner.js",
    },
    {
      name: "production code importing a test helper",
      file: "controller/sync/x.ts",
      spec: "../../test/manual-time.js",
    },
  ])("catches $name", ({ file, spec }) => {
    expect(violations([{ file, text: `import { x } from "${spec}";\n` }])).toHaveLength(1);
  });
});
