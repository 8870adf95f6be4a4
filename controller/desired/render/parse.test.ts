import { describe, expect, it } from "vitest";
import { DesiredSetError } from "../errors.js";
import { aliasBomb } from "./hostile-yaml.js";
import { MAX_EXPANDED_BYTES_PER_FILE, MAX_NODES_PER_FILE, parseManifests } from "./parse.js";

describe("parseManifests", () => {
  it.each([
    {
      name: "multi-document YAML with an empty trailing document",
      path: "svc/app.yaml",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n---\n",
      kinds: ["ConfigMap/a", "Service/b"],
      configs: [],
    },
    {
      name: "a v1 List is flattened",
      path: "svc/list.yml",
      text: "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n",
      kinds: ["ConfigMap/x"],
      configs: [],
    },
    {
      name: "a JSON Kubernetes object",
      path: "svc/cm.json",
      text: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}',
      kinds: ["ConfigMap/j"],
      configs: [],
    },
    {
      name: "a JSON file without apiVersion/kind is service config",
      path: "svc/configs/app-settings.json",
      text: '{"port": 8080}',
      kinds: [],
      configs: ["app-settings.json"],
    },
    { name: "a comment-only YAML file", path: "svc/empty.yaml", text: "# nothing\n", kinds: [], configs: [] },
    {
      name: "a List inside a List, flattened at every depth",
      path: "svc/nested.yaml",
      text: [
        "apiVersion: v1",
        "kind: List",
        "items:",
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: outer}}",
        "- apiVersion: v1",
        "  kind: List",
        "  items:",
        "  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: inner}}",
        "  - apiVersion: v1",
        "    kind: ConfigMapList",
        "    items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: deepest}}]",
      ].join("\n"),
      kinds: ["ConfigMap/outer", "ClusterRoleBinding/inner", "ConfigMap/deepest"],
      configs: [],
    },
  ])("reads $name", ({ path, text, kinds, configs }) => {
    const parsed = parseManifests(path, text);
    expect(parsed.objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`)).toEqual(kinds);
    expect(parsed.objects.every((o) => o.path === path)).toBe(true);
    expect(parsed.configFiles.map((c) => c.name)).toEqual(configs);
    for (const c of parsed.configFiles) expect(c.text).toBe(text);
  });

  it.each([
    {
      name: "bad YAML in the second document",
      path: "svc/bad.yaml",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [unclosed\n",
      code: "E_MANIFEST_PARSE",
      message: /svc\/bad\.yaml: invalid YAML \(document 2, line \d+\)/,
    },
    {
      name: "bad JSON",
      path: "svc/x.json",
      text: "{nope",
      code: "E_MANIFEST_PARSE",
      message: /svc\/x\.json: invalid JSON/,
    },
    {
      name: "a document without kind",
      path: "svc/a.yaml",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n",
      code: "E_MANIFEST_INVALID",
      message: /svc\/a\.yaml: document 2: missing kind/,
    },
    {
      name: "an object without a name",
      path: "svc/a.yaml",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n",
      code: "E_MANIFEST_INVALID",
      message: /document 1: ConfigMap has no metadata.name/,
    },
    {
      name: "a scalar document",
      path: "svc/a.yaml",
      text: "just a string\n",
      code: "E_MANIFEST_INVALID",
      message: /document 1: expected a Kubernetes object, got string/,
    },
  ])("refuses $name, naming the file and document", ({ path, text, code, message }) => {
    let caught: unknown;
    try {
      parseManifests(path, text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DesiredSetError);
    expect((caught as DesiredSetError).code).toBe(code);
    expect((caught as DesiredSetError).message).toMatch(message);
  });

  it("reads YAML as Kubernetes does: the 1.2 core schema with merge keys, so a date stays a string", () => {
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: dates}",
      "base: &base {when: 2024-01-01, enabled: true}",
      "data:",
      "  <<: *base",
      "  stamp: 2024-01-01T10:00:00Z",
      "  answer: yes",
    ].join("\n");
    const [parsed] = parseManifests("svc/dates.yaml", text).objects;
    expect(parsed?.object.data).toEqual({
      when: "2024-01-01",
      enabled: true,
      stamp: "2024-01-01T10:00:00Z",
      answer: "yes",
    });
  });

  describe("budgets", () => {
    const refusal = (path: string, text: string) => {
      try {
        parseManifests(path, text);
      } catch (error) {
        return error;
      }
      return undefined;
    };

    // Without the budget this test does not fail quickly: serialising the result takes tens of seconds and gigabytes.
    it("refuses a 400-byte alias bomb before anything expands it, naming the file and the node budget", () => {
      const text = aliasBomb();
      expect(text.length).toBeLessThan(500);
      const caught = refusal("svc/bomb.yaml", text);
      expect(caught).toBeInstanceOf(DesiredSetError);
      expect((caught as DesiredSetError).code).toBe("E_MANIFEST_TOO_LARGE");
      expect((caught as DesiredSetError).subject).toBe("svc/bomb.yaml");
      expect((caught as DesiredSetError).message).toContain("svc/bomb.yaml: refused");
      expect((caught as DesiredSetError).message).toContain(MAX_NODES_PER_FILE.toLocaleString("en-US"));
      expect((caught as DesiredSetError).message).toContain("node budget per file");
    });

    it("refuses a cycle (an alias inside its own anchor), which expands forever", () => {
      const text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop}\ndata: &d {self: *d}\n";
      const caught = refusal("svc/loop.yaml", text);
      expect((caught as DesiredSetError).code).toBe("E_MANIFEST_TOO_LARGE");
      expect((caught as DesiredSetError).message).toContain("svc/loop.yaml");
    });

    it("refuses a long string aliased many times, by the size budget", () => {
      const big = "x".repeat(1024 * 1024);
      const copies = Math.ceil(MAX_EXPANDED_BYTES_PER_FILE / big.length) + 1;
      const text = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: wide}",
        `s: &s "${big}"`,
        `data: {list: [${Array(copies).fill("*s").join(",")}]}`,
      ].join("\n");
      expect(text.length).toBeLessThan(2 * big.length);
      const caught = refusal("svc/wide.yaml", text);
      expect((caught as DesiredSetError).code).toBe("E_MANIFEST_TOO_LARGE");
      expect((caught as DesiredSetError).message).toContain("32 MiB");
      expect((caught as DesiredSetError).message).toContain("size budget per file");
    });

    it("still reads anchors, aliases and merge keys under the budget, and measures them expanded", () => {
      const text = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: web, labels: &labels {app: web, tier: front}}",
        "spec:",
        "  selector: {matchLabels: *labels}",
        "  template:",
        "    metadata: {labels: {<<: *labels, extra: x}}",
        "    spec: {containers: [&c {name: web, image: nginx}, {<<: *c, name: side}]}",
      ].join("\n");
      const parsed = parseManifests("svc/web.yaml", text);
      const spec = parsed.objects[0]?.object.spec as {
        selector: { matchLabels: unknown };
        template: { metadata: { labels: unknown }; spec: { containers: unknown } };
      };
      expect(spec.selector.matchLabels).toEqual({ app: "web", tier: "front" });
      expect(spec.template.metadata.labels).toEqual({ app: "web", tier: "front", extra: "x" });
      expect(spec.template.spec.containers).toEqual([
        { name: "web", image: "nginx" },
        { name: "side", image: "nginx" },
      ]);
      // Counted as JSON.stringify will see it: the aliased labels twice, not once.
      expect(parsed.expanded.bytes).toBeGreaterThanOrEqual(JSON.stringify(parsed.objects[0]?.object).length);
      expect(parsed.expanded.bytes).toBeLessThan(2 * JSON.stringify(parsed.objects[0]?.object).length);
    });

    it("lets a large plain file through: the node budget is above what 10 MiB of ordinary manifests holds", () => {
      const doc = (i: number) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  labels: {app: web}\ndata:\n  a: "${"x".repeat(40)}"\n  b: 2024-01-01\n`;
      const text = Array.from({ length: 5000 }, (_, i) => doc(i)).join("---\n");
      const parsed = parseManifests("svc/many.yaml", text);
      expect(parsed.objects).toHaveLength(5000);
      expect(parsed.expanded.nodes).toBe(5000 * 10);
      // Nodes per source byte, so the budget's claim about 10 MiB files holds for this shape.
      expect((parsed.expanded.nodes / text.length) * 10 * 1024 * 1024).toBeLessThan(MAX_NODES_PER_FILE);
    });
  });
});
