import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { formatTimeout, type RunCommand, runProcess } from "../../../common/run.js";
import type { KubeObject } from "../../../kube/objects.js";
import { rejection } from "../../../test/kustomize-support.js";
import type { DesiredSetError } from "../errors.js";
import { type KustomizeOptions, kustomizeBuild, kustomizeOptions } from "./build.js";
import { kustomizeClosure } from "./closure.js";

// Real helm (the pinned build scripts/helm.sh caches: test/helm-setup.ts), real kubectl, and charts committed to a
// real git repository, whose files reach the build as the source would fetch them: the closure's paths at HEAD.

const helm = inject("helm");
let scratch: string;
let checkouts: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "helm-test-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
let n = 0;
beforeEach(async () => {
  checkouts = join(scratch, `checkouts-${n}`);
  await mkdir(checkouts);
});

/** GitTree is a repository committed from `tree`: its work tree, and its files at HEAD as git holds them. */
interface GitTree {
  readonly dir: string;
  readonly files: ReadonlyMap<string, string>;
}

async function commit(tree: Record<string, string>): Promise<GitTree> {
  const dir = join(scratch, `repo-${n++}`);
  for (const [path, content] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const git = (...args: string[]) => execa("git", ["-C", dir, ...args]);
  await git("init", "-q");
  await git("add", "-A");
  await git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "chart");
  const listed = (await git("ls-tree", "-r", "--name-only", "-z", "HEAD")).stdout.split("\0").filter(Boolean);
  const files = new Map<string, string>();
  for (const path of listed) files.set(path, (await git("show", `HEAD:${path}`)).stdout);
  return { dir, files };
}

/** build builds `serviceDir` from the files of its closure only, as a sync gets them from the source. */
async function build(repo: GitTree, serviceDir: string, extra: Partial<KustomizeOptions> = {}) {
  const entries = [...repo.files.keys()].map((path) => ({ path, sha: path, size: 0 }));
  const closure = await kustomizeClosure(serviceDir, entries, async (path) => repo.files.get(path) ?? "");
  const files = (closure?.paths ?? []).map((path) => ({ path, content: repo.files.get(path) ?? "" }));
  return kustomizeBuild(serviceDir, files, {
    allowRemote: false,
    timeoutMs: 60_000,
    tmpDir: checkouts,
    helmBin: helm,
    ...extra,
  });
}

/** helmTemplate is `helm template args` run by hand, with a helm home of its own. */
async function helmTemplate(args: readonly string[]): Promise<string> {
  const home = await mkdtemp(join(scratch, "helm-home-"));
  const env = { HELM_CONFIG_HOME: home, HELM_CACHE_HOME: home, HELM_DATA_HOME: home };
  return (await execa(helm, ["template", ...args], { env, extendEnv: false })).stdout;
}

/** objects are the objects of a multi-document YAML text, in a stable order. */
const objects = (text: string) =>
  (yaml.loadAll(text) as (KubeObject | null)[])
    .filter((o): o is KubeObject => o !== null)
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));

const names = (list: readonly KubeObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`);

/** chart is a small chart of a Deployment, a ConfigMap, a PodDisruptionBudget, a CRD and a test hook. */
function chart(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [`${dir}/Chart.yaml`]: "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    [`${dir}/values.yaml`]: "replicas: 1\nimage: nginx:1.27\ngreeting: hello\n",
    [`${dir}/templates/_helpers.tpl`]: '{{- define "web.fullname" -}}{{ .Release.Name }}-web{{- end -}}\n',
    [`${dir}/templates/deployment.yaml`]: [
      '{{- if lt (int .Values.replicas) 1 }}{{ fail "replicas must be at least 1" }}{{ end }}',
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      '  name: {{ include "web.fullname" . }}',
      "  namespace: {{ .Release.Namespace }}",
      "spec:",
      "  replicas: {{ .Values.replicas }}",
      "  selector: { matchLabels: { app: {{ .Release.Name }} } }",
      "  template:",
      "    metadata: { labels: { app: {{ .Release.Name }} } }",
      "    spec:",
      "      containers: [{ name: web, image: {{ .Values.image | quote }} }]",
      "",
    ].join("\n"),
    [`${dir}/templates/configmap.yaml`]: [
      "apiVersion: v1",
      "kind: ConfigMap",
      'metadata: { name: {{ include "web.fullname" . }} }',
      "data: { greeting: {{ .Values.greeting | quote }}, kube: {{ .Capabilities.KubeVersion.Version | quote }} }",
      "",
    ].join("\n"),
    [`${dir}/templates/pdb.yaml`]: [
      '{{- if .Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget" }}',
      "apiVersion: policy/v1",
      "{{- else }}",
      "apiVersion: policy/v1beta1",
      "{{- end }}",
      "kind: PodDisruptionBudget",
      'metadata: { name: {{ include "web.fullname" . }} }',
      "spec: { maxUnavailable: 1, selector: { matchLabels: { app: {{ .Release.Name }} } } }",
      "",
    ].join("\n"),
    [`${dir}/templates/tests/connection.yaml`]: [
      "apiVersion: v1",
      "kind: Pod",
      'metadata: { name: {{ include "web.fullname" . }}-test, annotations: { "helm.sh/hook": test } }',
      "spec: { restartPolicy: Never, containers: [{ name: t, image: busybox }] }",
      "",
    ].join("\n"),
    [`${dir}/crds/widgets.yaml`]: [
      "apiVersion: apiextensions.k8s.io/v1",
      "kind: CustomResourceDefinition",
      "metadata: { name: widgets.example.com }",
      "spec:",
      "  group: example.com",
      "  names: { kind: Widget, plural: widgets }",
      "  scope: Namespaced",
      "  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]",
      "",
    ].join("\n"),
    ...extra,
  };
}

describe("kustomizeBuild of a kustomization's local Helm chart, with real helm", () => {
  it("renders exactly what helm template renders for the same release, namespace, values and flags", async () => {
    const repo = await commit({
      ...chart("svc/charts/web"),
      "svc/values-prod.yaml": "replicas: 3\nimage: nginx:1.28\n",
      "svc/kustomization.yaml": [
        "helmCharts:",
        "- name: web",
        "  releaseName: shop",
        "  namespace: shop-ns",
        "  valuesFile: values-prod.yaml",
        "  valuesInline: { greeting: hi }",
        "  includeCRDs: true",
        "  apiVersions: [policy/v1/PodDisruptionBudget]",
        "  skipTests: true",
        "",
      ].join("\n"),
    });
    const built = await build(repo, "svc");
    await writeFile(join(scratch, "inline.yaml"), "greeting: hi\n");
    const reference = await helmTemplate([
      "shop",
      join(repo.dir, "svc/charts/web"),
      "--namespace",
      "shop-ns",
      "-f",
      join(repo.dir, "svc/values-prod.yaml"),
      "-f",
      join(scratch, "inline.yaml"),
      "--include-crds",
      "--api-versions",
      "policy/v1/PodDisruptionBudget",
      "--skip-tests",
    ]);
    expect(built.root).toBe("svc/kustomization.yaml");
    const rendered = objects(built.text);
    expect(rendered).toEqual(objects(reference));
    // What each setting did, so that equal outputs are not equally empty or equally default.
    expect(names(rendered)).toEqual([
      "ConfigMap/shop-web",
      "CustomResourceDefinition/widgets.example.com",
      "Deployment/shop-web",
      "PodDisruptionBudget/shop-web",
    ]);
    const deployment = rendered.find((o) => o.kind === "Deployment");
    expect(deployment?.metadata.namespace).toBe("shop-ns");
    expect(deployment?.spec).toMatchObject({ replicas: 3 });
    expect(
      (rendered.find((o) => o.kind === "ConfigMap") as { data?: object } | undefined)?.data,
    ).toMatchObject({
      greeting: "hi",
    });
    expect(rendered.find((o) => o.kind === "PodDisruptionBudget")?.apiVersion).toBe("policy/v1");
  });

  it("renders a chart from helmGlobals.chartHome whose kubeVersion asks for >=1.25, as the Kubernetes helm was built for", async () => {
    const repo = await commit({
      ...chart("svc/vendor/charts/web", {
        "svc/vendor/charts/web/Chart.yaml":
          'apiVersion: v2\nname: web\nversion: 0.1.0\nkubeVersion: ">=1.25.0-0"\n',
      }),
      "svc/kustomization.yaml":
        "helmGlobals: { chartHome: vendor/charts }\nhelmCharts: [{ name: web, releaseName: r }]\n",
    });
    const rendered = objects((await build(repo, "svc")).text);
    const configMap = rendered.find((o) => o.kind === "ConfigMap") as
      | { data?: { kube?: string } }
      | undefined;
    const kube = String(configMap?.data?.kube);
    // helm's default (v1.20) refuses the chart; the pinned build assumes the Kubernetes of its client-go.
    const minor = Number(/^v1\.(\d+)\.\d+$/.exec(kube)?.[1]);
    expect(minor).toBeGreaterThanOrEqual(25);
    expect(rendered).toEqual(objects(await helmTemplate(["r", join(repo.dir, "svc/vendor/charts/web")])));
  });

  it("fails a chart whose template fails with E_HELM_RENDER, naming the kustomization, the entry, the chart and helm's message", async () => {
    const repo = await commit({
      ...chart("svc/charts/web"),
      ...chart("svc/charts/broken"),
      "svc/kustomization.yaml": [
        "helmCharts:",
        "- { name: web, releaseName: ok }",
        "- { name: broken, releaseName: bad, valuesInline: { replicas: 0 } }",
        "",
      ].join("\n"),
    });
    const error = await rejection<DesiredSetError>(build(repo, "svc"));
    expect(error.code).toBe("E_HELM_RENDER");
    expect(error.subject).toBe("svc/kustomization.yaml");
    expect(error.reason).toMatch(
      /^helmCharts\[1\] \(chart svc\/charts\/broken\): helm template failed: execution error at \(web\/templates\/deployment\.yaml:1:\d+\): replicas must be at least 1$/,
    );
    expect(error.message).not.toContain(checkouts);
  });

  it("stops a chart that renders past the deadline, naming it in the build's error", async () => {
    const repo = await commit({
      ...chart("svc/charts/web", {
        "svc/charts/web/templates/slow.yaml":
          "{{- range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}\n",
      }),
      "svc/kustomization.yaml": "helmCharts: [{ name: web }]\n",
    });
    const error = await rejection<DesiredSetError>(build(repo, "svc", { timeoutMs: 2_000 }));
    expect(error.code).toBe("E_KUSTOMIZE_BUILD");
    expect(error.reason).toBe(
      `kustomize build failed: timed out after ${formatTimeout(2_000)} (the build renders svc/kustomization.yaml helmCharts[0] (chart svc/charts/web))`,
    );
  });
});

describe("kustomizeBuild of a Helm chart it will not render", () => {
  /** recording runs nothing and records each command it was asked to run. */
  function recording() {
    const calls: string[] = [];
    const run: RunCommand = async (file, args, opts) => {
      calls.push([file, ...args].join(" "));
      return runProcess(file, args, opts);
    };
    return { run, calls };
  }

  it("refuses a chart from a chart repository, naming the entry, and runs nothing", async () => {
    const repo = await commit({
      "svc/kustomization.yaml":
        "helmCharts: [{ name: redis, version: 19.0.0, repo: https://charts.example.com }]\n",
    });
    const { run, calls } = recording();
    const error = await rejection<DesiredSetError>(build(repo, "svc", { run }));
    expect(error.code).toBe("E_KUSTOMIZE_REMOTE");
    expect(error.message).toContain("svc/kustomization.yaml: helmCharts[0].repo: https://charts.example.com");
    expect(error.message).toContain("allow_remote_bases: true");
    expect(calls).toEqual([]);
  });

  it("fails with E_HELM_NOT_FOUND, saying what to do, when there is no helm, and runs nothing", async () => {
    const repo = await commit({
      ...chart("svc/charts/web"),
      "svc/kustomization.yaml": "helmCharts: [{ name: web }]\n",
    });
    const { run, calls } = recording();
    const error = await rejection<DesiredSetError>(
      build(repo, "svc", { run, helmBin: undefined, env: { PATH: join(scratch, "empty") } }),
    );
    expect(error.code).toBe("E_HELM_NOT_FOUND");
    expect(error.message).toContain(
      "svc/kustomization.yaml: helmCharts[0] (chart svc/charts/web): no helm to render it: helm_bin is not set, and there is no helm on PATH",
    );
    expect(error.message).toContain("set `helm_bin` in the config");
    expect(calls).toEqual([]);
  });

  it("fails with E_HELM_NOT_FOUND when the config's helm_bin is not helm v3", async () => {
    const notV3 = join(scratch, "helm4");
    await writeFile(notV3, "#!/bin/sh\necho v4.0.0+g0000000\n", { mode: 0o755 });
    const repo = await commit({
      ...chart("svc/charts/web"),
      "svc/kustomization.yaml": "helmCharts: [{ name: web }]\n",
    });
    const error = await rejection<DesiredSetError>(
      build(
        repo,
        "svc",
        kustomizeOptions({ allowRemoteBases: false, applyTimeoutSeconds: 60, helmBin: notV3 }),
      ),
    );
    expect(error.code).toBe("E_HELM_NOT_FOUND");
    expect(error.reason).toContain(
      `no helm to render it: ${notV3} is helm v4.0.0, and kustomize renders charts with helm v3`,
    );
  });
});
