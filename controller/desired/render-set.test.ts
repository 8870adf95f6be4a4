import { describe, expect, it } from "vitest";
import type { ServiceConfig } from "../config/types.js";
import { createParseCache } from "./desired-set.js";
import { type ReleaseProbe, ReleaseProbeError } from "./release-probe.js";
import { BOOTSTRAP_CONTAINER } from "./render/stateless.js";
import { renderDesiredSet } from "./render-set.js";

const deployment = [
  "apiVersion: apps/v1",
  "kind: Deployment",
  "metadata: {name: web}",
  "spec:",
  "  selector: {matchLabels: {app: web}}",
  "  template:",
  "    metadata: {labels: {app: web}}",
  "    spec: {containers: [{name: web, image: nginx, command: [nginx]}]}",
].join("\n");
const configMap = (url: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {download_base_url: "${url}"}`;

const file = (path: string, text: string) => ({
  path,
  sha: `sha-${path}-${text.length}`,
  content: text,
});
const service = (stateless: ServiceConfig["stateless"]): ServiceConfig => ({
  name: "web",
  repoKey: "r",
  dir: "web",
  stateless,
  reconcileIntervalSeconds: 0,
  drift: "correct",
});

/** asked records what a probe was asked and answers `answer`. */
function recordingProbe(answer: (service: string, url: string | undefined) => boolean | Error) {
  const asked: { service: string; url: string | undefined }[] = [];
  const probe: ReleaseProbe = async (name, url) => {
    asked.push({ service: name, url });
    const decision = answer(name, url);
    if (decision instanceof Error) throw decision;
    return { bootstrap: decision, reason: decision ? "has one" : "no release: none" };
  };
  return { probe, asked };
}

const initContainers = (objects: { kind: string; spec?: unknown }[]) =>
  (
    objects.find((o) => o.kind === "Deployment")?.spec as {
      template: { spec: { initContainers?: { name: string }[] } };
    }
  ).template.spec.initContainers?.map((c) => c.name) ?? [];

describe("renderDesiredSet and stateless", () => {
  it.each([
    {
      name: "true, without asking",
      stateless: true as const,
      has: false,
      want: [BOOTSTRAP_CONTAINER],
      asked: 0,
    },
    { name: "false, without asking", stateless: false as const, has: true, want: [], asked: 0 },
    {
      name: "auto with a release",
      stateless: "auto" as const,
      has: true,
      want: [BOOTSTRAP_CONTAINER],
      asked: 1,
    },
    { name: "auto without one", stateless: "auto" as const, has: false, want: [], asked: 1 },
  ])("bootstraps as configured: $name", async ({ stateless, has, want, asked }) => {
    const { probe, asked: questions } = recordingProbe(() => has);
    const rendered = await renderDesiredSet([file("web/deploy.yaml", deployment)], service(stateless), {
      parseCache: createParseCache(),
      releaseProbe: probe,
      downloadBaseUrl: "http://releases.example",
    });
    expect(rendered.failures).toEqual([]);
    expect(initContainers(rendered.objects)).toEqual(want);
    expect(rendered.bootstrap?.bootstrap).toBe(want.length > 0);
    expect(questions).toHaveLength(asked);
  });

  it("looks for the release where the pods would: the config's URL first, else the service's ConfigMap in git", async () => {
    const files = [file("web/deploy.yaml", deployment), file("web/cm.yaml", configMap("http://from-git"))];
    const withGlobal = recordingProbe(() => false);
    await renderDesiredSet(files, service("auto"), {
      parseCache: createParseCache(),
      releaseProbe: withGlobal.probe,
      downloadBaseUrl: "http://global",
    });
    const fromGit = recordingProbe(() => false);
    await renderDesiredSet(files, service("auto"), {
      parseCache: createParseCache(),
      releaseProbe: fromGit.probe,
    });
    expect([withGlobal.asked, fromGit.asked]).toEqual([
      [{ service: "web", url: "http://global" }],
      [{ service: "web", url: "http://from-git" }],
    ]);
  });

  it("fails the whole set, rendering nothing, when the release can be neither found nor ruled out", async () => {
    const { probe } = recordingProbe(() => new ReleaseProbeError("cannot tell: GET x answered 503"));
    const rendered = await renderDesiredSet([file("web/deploy.yaml", deployment)], service("auto"), {
      parseCache: createParseCache(),
      releaseProbe: probe,
    });
    expect(rendered.objects).toEqual([]);
    expect(rendered.failures).toEqual([
      { path: "web", code: "E_RELEASE_PROBE", error: "cannot tell: GET x answered 503" },
    ]);
  });
});
