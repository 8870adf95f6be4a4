import { describe, expect, it } from "vitest";
import { buildDesiredSet, createParseCache, MAX_SERVICE_BYTES } from "./desired-set.js";
import { aliasBomb } from "./render/hostile-yaml.js";
import { MAX_NODES_PER_FILE } from "./render/parse.js";

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {a: b}\n`;
const svc = { dir: "svc" };
const file = (path: string, content: string) => ({ path, sha: `sha-of-${path}`, content });

/** wideFile expands to about `mib` MiB: one 1 MiB string aliased `mib` times, from about 1 MiB of source. */
function wideFile(name: string, mib: number): string {
  return [
    "apiVersion: v1",
    "kind: ConfigMap",
    `metadata: {name: ${name}}`,
    `s: &s "${"x".repeat(1024 * 1024)}"`,
    `data: {list: [${Array(mib).fill("*s").join(",")}]}`,
  ].join("\n");
}

describe("buildDesiredSet", () => {
  // Without the node budget this test does not fail quickly: it hangs for tens of seconds and may run out of memory.
  it("fails only the alias bomb's file, naming it and the budget; the other files of the set still parse", async () => {
    const { set, failures } = await buildDesiredSet(
      [
        file("svc/a.yaml", configMap("a")),
        file("svc/bomb.yaml", aliasBomb()),
        file("svc/settings.json", '{"port": 8080}'),
        file("svc/z.yaml", configMap("z")),
      ],
      createParseCache(),
      svc,
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]?.path).toBe("svc/bomb.yaml");
    expect(failures[0]?.code).toBe("E_MANIFEST_TOO_LARGE");
    expect(failures[0]?.error).toContain(`${MAX_NODES_PER_FILE.toLocaleString("en-US")} nodes`);
    expect(set.objects.map((o) => `${o.path}:${o.object.metadata.name}`)).toEqual([
      "svc/a.yaml:a",
      "svc/z.yaml:z",
    ]);
    expect(set.configFiles.map((c) => c.name)).toEqual(["settings.json"]);
  });

  it("refuses the bomb again when it comes from the cache's key (a refusal is not cached as a success)", async () => {
    const cache = createParseCache();
    for (let i = 0; i < 2; i++) {
      const { failures } = await buildDesiredSet([file("svc/bomb.yaml", aliasBomb())], cache, svc);
      expect(failures.map((f) => f.code)).toEqual(["E_MANIFEST_TOO_LARGE"]);
    }
  });

  it("still builds a set whose files use anchors and merge keys under the budget", async () => {
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: m, labels: &l {app: m}}",
      "data: {<<: *l, more: x}",
    ].join("\n");
    const { set, failures } = await buildDesiredSet([file("svc/m.yaml", text)], createParseCache(), svc);
    expect(failures).toEqual([]);
    expect(set.objects[0]?.object.data).toEqual({ app: "m", more: "x" });
  });

  it("fails a service whose files expand past the per-service budget, naming the budget and the largest files", async () => {
    // Each file is within its own budget (30 MiB expanded); three of them are not within the service's.
    const { set, failures } = await buildDesiredSet(
      [
        file("svc/small.yaml", configMap("small")),
        file("svc/w1.yaml", wideFile("w1", 30)),
        file("svc/w2.yaml", wideFile("w2", 29)),
        file("svc/w3.yaml", wideFile("w3", 28)),
      ],
      createParseCache(),
      svc,
    );
    expect(set.objects).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.code).toBe("E_SERVICE_TOO_LARGE");
    expect(failures[0]?.path).toBe("svc/w1.yaml");
    expect(failures[0]?.error).toContain(`${MAX_SERVICE_BYTES / 1024 / 1024} MiB size budget per service`);
    expect(failures[0]?.error).toMatch(
      /Largest: svc\/w1\.yaml \(31\.0 MiB\), svc\/w2\.yaml \(30\.0 MiB\), svc\/w3\.yaml/,
    );
  });

  it("fails a service whose source alone is over the budget without parsing it", async () => {
    const files = Array.from({ length: 7 }, (_, i) =>
      file(`svc/big-${i}.yaml`, `# ${"#".repeat(10 * 1024 * 1024 - 3)}\n`),
    );
    const parsed: string[] = [];
    const cache = createParseCache();
    const { failures } = await buildDesiredSet(
      files,
      {
        parse: (f) => {
          parsed.push(f.path);
          return cache.parse(f);
        },
      },
      svc,
    );
    expect(parsed).toEqual([]);
    expect(failures.map((f) => f.code)).toEqual(["E_SERVICE_TOO_LARGE"]);
    expect(failures[0]?.error).toContain(
      "source files add up to 70 MiB, over the 64 MiB size budget per service",
    );
  });

  it("answers the event loop between files", async () => {
    // Counts turns of the event loop's check phase, where a yield between files resumes: a timer would count
    // milliseconds instead, and a fast machine parses five small files within one.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const ticks: number[] = [];
    const cache = createParseCache();
    await buildDesiredSet(
      Array.from({ length: 5 }, (_, i) => file(`svc/${i}.yaml`, configMap(`c${i}`))),
      {
        parse: (f) => {
          ticks.push(turns);
          return cache.parse(f);
        },
      },
      svc,
    );
    ticking = false;
    // Other callbacks ran while the set was built: parsing did not hold the event loop for the whole set.
    expect(ticks.at(-1)).toBeGreaterThan(ticks[0] ?? 0);
  });

  it("is kustomize's build when the service's directory holds a kustomization, every object from its file", async () => {
    const cache = createParseCache();
    const parsed: string[] = [];
    const { set, failures } = await buildDesiredSet(
      [
        file(
          "svc/kustomization.yaml",
          "resources: [a.yaml]\nnamePrefix: dev-\nconfigMapGenerator: [{name: g, literals: [k=v]}]\n",
        ),
        file("svc/a.yaml", configMap("a")),
      ],
      {
        parse: (f) => {
          parsed.push(f.path);
          return cache.parse(f);
        },
      },
      svc,
    );
    expect(failures).toEqual([]);
    // One parse, of the build's output: the files themselves are kustomize's input, not the set.
    expect(parsed).toEqual(["svc/kustomization.yaml"]);
    expect(set.objects.map((o) => [o.path, o.object.metadata.name])).toEqual([
      ["svc/kustomization.yaml", "dev-a"],
      ["svc/kustomization.yaml", expect.stringMatching(/^dev-g-[a-z0-9]{10}$/)],
    ]);
  });

  it("fails the service with kustomize's own message, naming its kustomization", async () => {
    const { set, failures } = await buildDesiredSet(
      [file("svc/kustomization.yaml", "resources: [missing.yaml]\n")],
      createParseCache(),
      svc,
    );
    expect(set.objects).toEqual([]);
    expect(failures).toEqual([
      {
        path: "svc/kustomization.yaml",
        code: "E_KUSTOMIZE_BUILD",
        error: expect.stringMatching(/^kustomize build failed: accumulating resources.*'svc\/missing\.yaml'/),
      },
    ]);
  });

  it("fails a plain directory holding a kustomization below it, naming that file", async () => {
    const { failures } = await buildDesiredSet(
      [file("svc/a.yaml", configMap("a")), file("svc/app/kustomization.yaml", "resources: []\n")],
      createParseCache(),
      svc,
    );
    expect(failures.map((f) => [f.path, f.code])).toEqual([
      ["svc/app/kustomization.yaml", "E_KUSTOMIZE_INVALID"],
    ]);
    expect(failures[0]?.error).toContain("Give svc/app a service of its own");
  });

  it("rejects when the build is aborted, recording no failure", async () => {
    const aborter = new AbortController();
    aborter.abort(new Error("shutting down"));
    const outcome = await buildDesiredSet(
      [file("svc/kustomization.yaml", "resources: []\n")],
      createParseCache(),
      { ...svc, signal: aborter.signal },
    ).catch((error: unknown) => error);
    expect(outcome).toBe(aborter.signal.reason);
  });
});
