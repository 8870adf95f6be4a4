import { describe, expect, it } from "vitest";
import { pullRequestOf, servicePreviewOf } from "../../test/preview-support.js";
import { commentMarker, MAX_COMMENT, previewComment } from "./comment.js";
import type { ChangedObject, Preview, ServicePreview } from "./types.js";

const pull = pullRequestOf();
const settings = {
  clusterName: "eu-1",
  fullPreview: () => "https://gitops.example.com/v1/gitops/previews/main/7",
  secrets: ["ghp_topsecret"],
};
const changed = (name: string, diff: string, path = `web/${name}.yaml`): ChangedObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  namespace: "shop",
  name,
  path,
  diff,
});
const service = servicePreviewOf;
const preview = (services: ServicePreview[], state: Preview["state"] = "success"): Preview => ({
  pull,
  commit: pull.headSha,
  state,
  description: "1 service would land: 1 changed",
  services,
  at: "2026-01-01T00:00:00.000Z",
});
const diffOf = (lines: number, width = 60) =>
  Array.from({ length: lines }, (_, i) => `+  key-${i}: ${"v".repeat(width)}`).join("\n");

describe("previewComment", () => {
  it("starts with the cluster's marker and says what each service would get, every error with its file", () => {
    const body = previewComment(
      preview(
        [
          service({
            changed: [changed("web", "-  replicas: 1\n+  replicas: 3\n")],
            pruned: [
              { apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "old", path: "web/old.yaml" },
            ],
            unchanged: 2,
          }),
          service({
            service: "db",
            lands: false,
            errors: [{ path: "db/broken.yaml", message: "line 2: bad indentation" }],
          }),
        ],
        "failure",
      ),
      settings,
    );
    expect(body.split("\n")[0]).toBe(commentMarker("eu-1"));
    expect(body).toContain("merging would fail to land");
    expect(body).toContain("| web | 0 | 1 | 1 | 2 | lands |");
    expect(body).toContain("| db | 0 | 0 | 0 | 0 | **fails** (1 error) |");
    expect(body).toContain("**db** would fail at `db/broken.yaml`:\n\n```text\nline 2: bad indentation\n```");
    expect(body).toContain("- pruned: `v1/ConfigMap/shop/old` from `web/old.yaml`");
    expect(body).toContain("```diff\n-  replicas: 1\n+  replicas: 3\n```");
    expect(body).toContain(settings.fullPreview());
    expect(body).not.toContain("Cut short");
  });

  it.each([
    {
      name: "many diffs",
      services: [service({ changed: Array.from({ length: 300 }, (_, i) => changed(`cm-${i}`, diffOf(30))) })],
    },
    { name: "one enormous diff", services: [service({ created: [changed("huge", diffOf(20_000))] })] },
    {
      name: "thousands of errors",
      services: [
        service({
          lands: false,
          errors: Array.from({ length: 5000 }, (_, i) => ({
            path: `web/${i}.yaml`,
            message: "x".repeat(200),
          })),
        }),
      ],
    },
    {
      name: "many services",
      services: Array.from({ length: 50 }, (_, i) =>
        service({ service: `s${i}`, changed: [changed("c", diffOf(100))] }),
      ),
    },
  ])("keeps $name within GitHub's limit and says where the full preview is", ({ services }) => {
    const body = previewComment(preview(services), settings);
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT);
    // Most of the room is used: what was left out could not have fitted.
    expect(body.length).toBeGreaterThan(MAX_COMMENT - 5_000);
    expect(body).toContain("**Cut short**");
    expect(body.trimEnd().endsWith(settings.fullPreview())).toBe(true);
    // Every fence that opens is closed: a cut never leaves the rest of the page inside a code block.
    expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  it("cuts a diff that does not fit at a line, and says so", () => {
    const body = previewComment(preview([service({ created: [changed("huge", diffOf(20_000))] })]), settings);
    expect(body).toContain("… the rest of this diff is cut\n```");
    expect(body).toMatch(/\+ {2}key-\d+: v+\n… the rest/);
  });

  it("keeps what a pull request writes from escaping its code spans, fences and tags", () => {
    const path = "web/`x`\n\n<img src=x onerror=alert(1)>.yaml";
    const body = previewComment(
      preview([
        service({
          lands: false,
          created: [changed("evil", "+ a: ```\n+ b: ````\n", path)],
          errors: [{ path, message: "```\n</details>\n@everyone" }],
        }),
      ]),
      settings,
    );
    // In the HTML of a summary it is text; in a code span it is shown as written.
    const summary = body.split("\n").find((line) => line.startsWith("<details>")) ?? "";
    expect(summary).toContain("<code>web/`x` &lt;img src=x onerror=alert(1)&gt;.yaml</code>");
    expect(summary).not.toContain("<img");
    expect(body).toContain("``web/`x` <img src=x onerror=alert(1)>.yaml``");
    expect(body).toContain("`````diff\n+ a: ```\n+ b: ````\n`````");
    expect(body).toContain("````text\n```\n</details>\n@everyone\n````");
  });

  it("shows a failure's description, which quotes the pull request, as code", () => {
    const failing = {
      ...preview([service({ lands: false })], "failure"),
      description: "web would fail: @everyone <img src=x>",
    };
    expect(previewComment(failing, settings)).toContain("\n`web would fail: @everyone <img src=x>`\n");
  });

  it("never shows a credential that reached a diff or an error", () => {
    const body = previewComment(
      preview([
        service({
          lands: false,
          changed: [changed("a", "+ token: ghp_topsecret\n")],
          errors: [{ message: "auth ghp_topsecret" }],
        }),
      ]),
      settings,
    );
    expect(body).not.toContain("ghp_topsecret");
  });

  it("says a pull request touches no service when it does not", () => {
    expect(previewComment(preview([]), settings)).toContain("touches no service of this cluster");
  });
});
