import { describe, expect, it } from "vitest";
import { servicePreviewOf } from "../../test/preview-support.js";
import type { ServicePreview } from "./types.js";
import { verdict } from "./verdict.js";

const service = (name: string, fields: Partial<ServicePreview> = {}) =>
  servicePreviewOf({ service: name, dir: name, ...fields });
const object = { apiVersion: "v1", kind: "ConfigMap", name: "x", diff: "" };

describe("verdict", () => {
  it.each([
    {
      name: "no service touched",
      services: [],
      state: "success",
      text: "Touches no service of this cluster",
    },
    {
      name: "services that land",
      services: [
        service("web", { created: [object], changed: [object, object] }),
        service("db", { pruned: [object] }),
      ],
      state: "success",
      text: "2 services would land: 1 created, 2 changed, 1 pruned",
    },
    {
      name: "a service that changes nothing",
      services: [service("web", { unchanged: 3 })],
      state: "success",
      text: "1 service would land: nothing changes",
    },
    {
      name: "a failing service, naming the file",
      services: [
        service("web"),
        service("db", {
          lands: false,
          errors: [{ path: "db/broken.yaml", message: "line 2: mapping values are not allowed here" }],
        }),
      ],
      state: "failure",
      text: "db would fail: db/broken.yaml: line 2: mapping values are not allowed here",
    },
    {
      name: "two failing services",
      services: [
        service("web", {
          lands: false,
          errors: [{ path: "web/a.yaml", object: "v1/ConfigMap/x", message: "refused" }],
        }),
        service("db", { lands: false, errors: [{ message: "unreadable" }] }),
      ],
      state: "failure",
      text: "web would fail (and 1 more service): web/a.yaml v1/ConfigMap/x: refused",
    },
  ])("says $name", ({ services, state, text }) => {
    expect(verdict(services, [])).toEqual({ state, description: text });
  });

  it("keeps to 140 characters and never shows a credential", () => {
    const token = "ghp_secretsecretsecret";
    const long = verdict(
      [service("web", { lands: false, errors: [{ message: `${token} ${"x".repeat(300)}` }] })],
      [token],
    );
    expect(long.description.length).toBe(140);
    expect(long.description).not.toContain(token);
  });
});
