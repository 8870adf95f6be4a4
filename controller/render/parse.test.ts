import { describe, expect, it } from "vitest";
import { RenderError } from "./errors.js";
import { parseManifests } from "./parse.js";

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
    expect(caught).toBeInstanceOf(RenderError);
    expect((caught as RenderError).code).toBe(code);
    expect((caught as RenderError).message).toMatch(message);
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
});
