import { describe, expect, it } from "vitest";
import type { ServiceConfig } from "../config/types.js";
import { touchedServices } from "./touched.js";

const service = (name: string, dir: string): ServiceConfig => ({
  name,
  repoKey: "main",
  dir,
  stateless: false,
  reconcileIntervalSeconds: 0,
  drift: "correct",
});
const web = service("web", "apps/web");
const api = service("api", "apps/api");
const root = service("everything", ".");
// api is kustomized: its last landed set reached a base outside its directory.
const landed: Record<string, Record<string, string>> = {
  api: {
    "apps/api/kustomization.yaml": "1",
    "bases/shared/deploy.yaml": "2",
    "bases/shared/app.properties": "3",
  },
};

describe("touchedServices", () => {
  it.each([
    { name: "a manifest under a service's directory", paths: ["apps/web/deploy.yaml"], touched: ["web"] },
    { name: "a JSON manifest, at any depth below it", paths: ["apps/web/a/b/c.json"], touched: ["web"] },
    { name: "a file that is no manifest there", paths: ["apps/web/README.md"], touched: [] },
    { name: "a directory that only shares a prefix", paths: ["apps/web-old/deploy.yaml"], touched: [] },
    {
      name: "a kustomize base another service landed",
      paths: ["bases/shared/deploy.yaml"],
      touched: ["api"],
    },
    { name: "a generator's input of any ending", paths: ["bases/shared/app.properties"], touched: ["api"] },
    { name: "a base file nobody landed", paths: ["bases/other/deploy.yaml"], touched: [] },
    {
      name: "several services at once",
      paths: ["apps/api/x.yml", "apps/web/y.yaml"],
      touched: ["web", "api"],
    },
    { name: "nothing", paths: [], touched: [] },
  ])("finds $name", ({ paths, touched }) => {
    const found = touchedServices([web, api], paths, (name) => landed[name]);
    expect(found.map((s) => s.name)).toEqual(touched);
  });

  it("counts any manifest of the repository for a service at its root", () => {
    expect(touchedServices([root], ["deep/down/x.yaml"], () => undefined).map((s) => s.name)).toEqual([
      "everything",
    ]);
    expect(touchedServices([root], ["docs/index.md"], () => undefined)).toEqual([]);
  });
});
