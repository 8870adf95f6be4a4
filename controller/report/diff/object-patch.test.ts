import { describe, expect, it } from "vitest";
import type { ObjectDiff } from "../../../applyers/server-diff.js";
import type { KubeObject } from "../../../kube/objects.js";
import { objectLabel, objectPatch } from "./object-patch.js";

const deployment = (replicas: number, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", resourceVersion: String(replicas), ...extra },
  spec: { replicas, template: { spec: { containers: [{ name: "web", image: "nginx:1.27" }] } } },
  status: { readyReplicas: replicas },
});
const ref = { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" };
const b64 = (text: string) => Buffer.from(text).toString("base64");
const secret = (password: string, extra: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "db", namespace: "shop" },
  data: { password: b64(password), user: b64("admin"), ...extra },
});

describe("objectLabel", () => {
  it.each([
    ["a namespaced object", ref, "apps/v1/Deployment/shop/web"],
    ["a cluster-scoped object", { apiVersion: "v1", kind: "Namespace", name: "shop" }, "v1/Namespace/shop"],
  ])("names %s", (_name, input, want) => {
    expect(objectLabel(input)).toBe(want);
  });
});

describe("objectPatch", () => {
  it("shows a changed field as a unified diff from live to git, bookkeeping and status left out", () => {
    const shown = objectPatch({ ...ref, action: "configured", live: deployment(3), merged: deployment(1) });
    expect(shown.differs).toBe(true);
    const lines = shown.patch?.split("\n") ?? [];
    expect(lines.slice(0, 2)).toEqual([
      "--- live/apps/v1/Deployment/shop/web",
      "+++ git/apps/v1/Deployment/shop/web",
    ]);
    expect(lines.filter((line) => /^[-+][^-+]/.test(line))).toEqual(["-  replicas: 3", "+  replicas: 1"]);
    expect(shown.patch).not.toMatch(/resourceVersion|readyReplicas/);
  });

  it("shows an object that would be created as all +", () => {
    const shown = objectPatch({ ...ref, action: "created", merged: deployment(1) });
    const body = (shown.patch ?? "")
      .split("\n")
      .slice(3)
      .filter((line) => line !== "");
    expect(shown.differs).toBe(true);
    expect(body.length).toBeGreaterThan(0);
    expect(body.every((line) => line.startsWith("+"))).toBe(true);
    expect(shown.patch).toContain("@@ -0,0 +1,");
  });

  it("is no difference when the server calls it configured but only bookkeeping moved", () => {
    const shown = objectPatch({
      ...ref,
      action: "configured",
      live: deployment(2, { annotations: { "deployment.kubernetes.io/revision": "1" }, generation: 1 }),
      merged: deployment(2, { annotations: { "deployment.kubernetes.io/revision": "2" }, generation: 2 }),
    });
    expect(shown).toEqual({ differs: false });
  });

  it.each<[string, ObjectDiff, { differs: boolean; error?: string }]>([
    [
      "unchanged",
      { ...ref, action: "unchanged", live: deployment(1), merged: deployment(1) },
      { differs: false },
    ],
    [
      "failed",
      { ...ref, action: "failed", message: "the server has no Widget" },
      { differs: true, error: "# apps/v1/Deployment/shop/web: the server has no Widget" },
    ],
  ])("prints no diff for an object that is %s", (_name, diff, want) => {
    expect(objectPatch(diff)).toEqual(want);
  });

  it.each([
    {
      name: "a changed value",
      before: "s3cret-old",
      after: "s3cret-new",
      want: ["-  password: '*** (before)'", "+  password: '*** (after)'", "+  token: '***'"],
    },
    { name: "an unchanged value", before: "s3cret-same", after: "s3cret-same", want: ["+  token: '***'"] },
  ])("never shows a Secret's values, for $name", ({ before, after, want }) => {
    const shown = objectPatch({
      apiVersion: "v1",
      kind: "Secret",
      namespace: "shop",
      name: "db",
      action: "configured",
      live: secret(before),
      merged: secret(after, { token: b64("t0k3n-added") }),
    });
    const text = shown.patch ?? "";
    expect(text.split("\n").filter((line) => /^[-+] /.test(line))).toEqual(want);
    for (const secretValue of [before, after, "admin", "t0k3n-added"]) {
      expect(text).not.toContain(secretValue);
      expect(text).not.toContain(b64(secretValue));
    }
  });

  it("notes how an object was compared", () => {
    const shown = objectPatch({ ...ref, action: "created", merged: deployment(1), message: "shown as sent" });
    expect(shown.note).toBe("# apps/v1/Deployment/shop/web: shown as sent");
  });
});
