import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { knownKeysAt } from "../controller/config/known-keys.js";
import { parseConfig } from "../controller/config/load.js";
import { rawConfigSchema } from "../controller/config/schema.js";
import { configKeys } from "./config-keys.js";

const documented = configKeys(rawConfigSchema);
const paths = documented.keys.map((key) => key.path);

describe("configKeys", () => {
  it("finds documentation for every key of the config schema", () => {
    expect(documented.undocumented).toEqual([]);
  });

  // knownKeysAt is the loader's own list of the keys each mapping accepts, walked independently of configKeys.
  it.each([
    { at: [], rows: "" },
    { at: ["services", 0], rows: "services[]." },
    { at: ["notifications", 0], rows: "notifications[]." },
    { at: ["applyer_nokube"], rows: "applyer_nokube." },
    { at: ["github_configs", "apps"], rows: "github_configs.*." },
    { at: ["github_configs", "apps", "github_app"], rows: "github_configs.*.github_app." },
  ])("has a row for every key the loader accepts at $at", ({ at, rows }) => {
    const missing = knownKeysAt(at).filter((key) => !paths.includes(`${rows}${key}`));
    expect(missing).toEqual([]);
  });

  it("documents the list form of github_configs by what it adds to the map form", () => {
    const listOnly = knownKeysAt(["github_configs", 0]).filter(
      (key) => !paths.includes(`github_configs.*.${key}`),
    );
    expect(listOnly.map((key) => `github_configs[].${key}`)).toEqual(
      paths.filter((path) => path.startsWith("github_configs[]")),
    );
  });

  // Writing a row's default into a config must change nothing: the reference shows the default the loader applies.
  type Mapping = Record<string, unknown>;
  const base = (): Mapping & {
    github_configs: { apps: Mapping };
    services: Mapping[];
    notifications: Mapping[];
  } => ({
    github_configs: { apps: { repo_owner: "example-org", repo_name: "gitops-apps" } },
    services: [{ name: "web", github: "apps", k8s_yaml_dir: "web" }],
    notifications: [{ url: "https://hooks.example.com/x" }],
  });
  const where: [string, (config: ReturnType<typeof base>) => Mapping][] = [
    ["github_configs.*.", (config) => config.github_configs.apps],
    ["services[].", (config) => config.services[0] ?? {}],
    ["notifications[].", (config) => config.notifications[0] ?? {}],
    ["", (config) => config],
  ];
  const withDefaults = documented.keys.filter((key) => /^`[^`]+`$/.test(key.default));
  it.each(
    withDefaults.map((key) => [key.path, key.default] as const),
  )("%s: writing its default %s is the same as leaving it out", (path, shown) => {
    const place = where.find(([prefix]) => path.startsWith(prefix));
    if (place === undefined) throw new Error(`no place in the test config for ${path}`);
    const [prefix, entry] = place;
    const config = base();
    entry(config)[path.slice(prefix.length)] = yaml.load(shown.slice(1, -1));
    expect(parseConfig(JSON.stringify(config))).toEqual(parseConfig(JSON.stringify(base())));
  });
  it("shows schema defaults for the keys that have one", () => {
    expect(withDefaults.map((key) => key.path)).toEqual(
      expect.arrayContaining(["poll_interval", "services[].stateless", "github_configs.*.branch", "listen"]),
    );
  });

  const doc = { description: "documented" };
  it.each([
    { name: "a top-level key", schema: z.object({ a: z.boolean() }), missing: "a: no description" },
    {
      name: "a key of a list's entries",
      schema: z.object({ a: z.array(z.object({ b: z.string() })).meta(doc) }),
      missing: "a[].b: no description",
    },
    {
      name: "a key of a form the loader checks on its own",
      schema: z.object({
        a: z
          .unknown()
          .meta({ ...doc, written: "map", forms: [z.record(z.string(), z.object({ b: z.string() }))] }),
      }),
      missing: "a.*.b: no description",
    },
    {
      name: "a key inside an optional mapping with a default",
      schema: z.object({ a: z.object({ b: z.string().optional() }).default({}).optional().meta(doc) }),
      missing: "a.b: no description",
    },
    {
      name: "a key the schema gives no type users can read",
      schema: z.object({ a: z.unknown().meta(doc) }),
      missing: "a: no type (add `written`)",
    },
    {
      name: "a key with two defaults",
      schema: z.object({
        a: z
          .boolean()
          .default(false)
          .meta({ ...doc, fallback: "true" }),
      }),
      missing: "a: both a schema default and a `fallback`",
    },
  ])("reports $name without documentation", ({ schema, missing }) => {
    const { keys, undocumented } = configKeys(schema);
    expect(undocumented).toEqual([missing]);
    expect(keys.map((key) => key.path)).not.toContain(missing.split(":")[0]);
  });

  it("reads documentation through optional, default, transform and preprocess wrappers", () => {
    const schema = z.object({
      a: z.string().meta(doc).optional(),
      b: z
        .unknown()
        .transform(Number)
        .meta({ ...doc, written: "number as text" })
        .default(3),
      c: z.preprocess((value) => value, z.enum(["x", "y"])).meta(doc),
    });
    expect(configKeys(schema)).toEqual({
      keys: [
        { path: "a", type: "string", default: "none", meaning: "documented" },
        { path: "b", type: "number as text", default: "`3`", meaning: "documented" },
        { path: "c", type: "`x` | `y`", default: "required", meaning: "documented" },
      ],
      undocumented: [],
    });
  });
});
