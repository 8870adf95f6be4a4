import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, execaSync } from "execa";
import yaml from "js-yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KubeObject, MANAGED_BY_LABEL, parseManifests } from "../controller/desired/render/index.js";
import { BOOTSTRAP_CONTAINER } from "../controller/desired/render/stateless.js";
import {
  EXAMPLE_REPO_DIR,
  EXAMPLES_DIR,
  loadExampleConfig,
  readServiceFiles,
  renderExample,
} from "./render-examples.js";

const config = loadExampleConfig();
const serviceNamed = (name: string) => {
  const service = config.services.find((s) => s.name === name);
  if (!service) throw new Error(`no service ${name} in examples/gitops-config.yaml`);
  return service;
};
const kindsOf = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);
type Container = {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
};
const podSpecOf = (object: KubeObject) =>
  (object.spec as { template: { spec: { containers: Container[]; initContainers?: Container[] } } }).template
    .spec;

describe("examples/gitops-config.yaml", () => {
  it("loads with parseConfig and names the seed's sample services and a web app", () => {
    expect(config.services.map((s) => [s.name, s.dir, s.namespace ?? "default"])).toEqual([
      ["etcd", "examples/etcd", "default"],
      ["monitoring", "examples/monitoring", "monitoring"],
      ["web", "apps/web", "web"],
    ]);
    expect(config.namespaces).toEqual(["default", "monitoring", "web"]);
    expect(config.releaseDir).toBe("examples/release");
    expect(config.downloadBaseUrl).toMatch(/^http:\/\//);
  });

  it("names directories that exist in the example repository, and a release tree with an init.sh per service", () => {
    for (const service of config.services) {
      expect(existsSync(join(EXAMPLE_REPO_DIR, service.dir)), service.dir).toBe(true);
      expect(existsSync(join(EXAMPLES_DIR, "release/scripts", service.name, "init.sh")), service.name).toBe(
        true,
      );
      expect(existsSync(join(EXAMPLES_DIR, "release-src", service.name)), service.name).toBe(true);
    }
  });
});

describe("examples/gitops-repo", () => {
  it.each(
    config.services.map((s) => [s.name, s] as const),
  )("%s: no manifest sets a namespace of its own", (_, service) => {
    for (const file of readServiceFiles(service)) {
      for (const { object } of parseManifests(file.path, file.text).objects) {
        expect(
          object.metadata.namespace,
          `${file.path}: ${object.kind}/${object.metadata.name}`,
        ).toBeUndefined();
      }
    }
  });

  it("etcd renders to a StatefulSet, its Services, a PodDisruptionBudget and the etcd-config ConfigMap", () => {
    const objects = renderExample(config, serviceNamed("etcd"));
    expect(kindsOf(objects).sort()).toEqual([
      "ConfigMap/etcd-config",
      "PodDisruptionBudget/etcd",
      "Service/etcd",
      "Service/etcd-client",
      "StatefulSet/etcd",
    ]);
    expect(objects.every((o) => o.metadata.namespace === "default")).toBe(true);
    const configMap = objects.find((o) => o.kind === "ConfigMap") as KubeObject & {
      data: Record<string, string>;
    };
    expect(JSON.parse(configMap.data["etcd.json"] ?? "")).toMatchObject({ cluster_size: 3 });
    const statefulSet = objects.find((o) => o.kind === "StatefulSet") as KubeObject & {
      spec: { replicas: number };
    };
    // init.sh builds initial-cluster from cluster_size; a different replica count would never form a quorum.
    expect(statefulSet.spec.replicas).toBe(3);
  });

  it("monitoring renders Prometheus into the monitoring namespace", () => {
    const objects = renderExample(config, serviceNamed("monitoring"));
    expect(kindsOf(objects).sort()).toEqual([
      "ConfigMap/monitoring-config",
      "ConfigMap/prometheus-scrape",
      "Deployment/prometheus",
      "Service/prometheus",
    ]);
    expect(objects.every((o) => o.metadata.namespace === "monitoring")).toBe(true);
  });

  it("web renders a Deployment whose explicit command is wrapped to run init.sh first", () => {
    const objects = renderExample(config, serviceNamed("web"));
    expect(kindsOf(objects).sort()).toEqual(["ConfigMap/web-config", "Deployment/web", "Service/web"]);
    const app = podSpecOf(objects.find((o) => o.kind === "Deployment") as KubeObject).containers[0];
    expect(app?.command?.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(app?.command?.slice(-2)).toEqual(["node", "/app/server.mjs"]);
  });

  it.each(
    config.services.map((s) => [s.name, s] as const),
  )("%s: every workload gets the bootstrap and every object our label", (_, service) => {
    const objects = renderExample(config, service);
    for (const object of objects) expect(object.metadata.labels?.[MANAGED_BY_LABEL]).toBe("simple-gitops");
    const workloads = objects.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind));
    expect(workloads.length).toBeGreaterThan(0);
    for (const workload of workloads) {
      const init = podSpecOf(workload).initContainers?.[0];
      expect(init?.name).toBe(BOOTSTRAP_CONTAINER);
      expect(init?.env).toContainEqual({ name: "DOWNLOAD_BASE_URL", value: config.downloadBaseUrl });
    }
  });

  it.each(
    config.services.map((s) => [s.name, s] as const),
  )("%s: rendering is stable (rendering twice gives the same objects)", (_, service) => {
    expect(renderExample(config, service)).toEqual(renderExample(config, service));
  });
});

// shellcheck is in Debian (apt-get install shellcheck) but not a project dependency; without it this one is skipped.
const hasShellcheck = execaSync("sh", ["-c", "command -v shellcheck"], { reject: false }).exitCode === 0;

describe("examples/release/scripts/*/init.sh, sourced under set -eu as the bootstrap does", () => {
  it.skipIf(!hasShellcheck)("passes shellcheck as POSIX sh (busybox runs them)", async () => {
    const scripts = config.services.map((s) => join(EXAMPLES_DIR, "release/scripts", s.name, "init.sh"));
    const result = await execa("shellcheck", ["-s", "sh", ...scripts], { reject: false });
    expect(result.stdout).toBe("");
    expect(result.exitCode).toBe(0);
  });

  let dir: string;
  let configDir: string;
  let secretDir: string;
  let appDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "example-init-"));
    configDir = join(dir, "config");
    secretDir = join(dir, "secret");
    appDir = join(dir, "app");
    await Promise.all([mkdir(configDir), mkdir(secretDir), mkdir(appDir)]);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** source runs `. init.sh` in POSIX sh, then `after`, with the pod's paths pointed at the temp dir. */
  async function source(service: string, env: Record<string, string>, after = "true") {
    const script = join(EXAMPLES_DIR, "release/scripts", service, "init.sh");
    return execa("sh", ["-c", `set -eu; . "$0"; ${after}`, script], {
      env: { CONFIG_PATH: configDir, SECRET_PATH: secretDir, APP_DIR: appDir, ...env },
      extendEnv: false,
      reject: false,
    });
  }
  async function copyServiceConfig(service: string, file: string) {
    const from = join(EXAMPLE_REPO_DIR, serviceNamed(service).dir, file);
    await writeFile(join(configDir, file), await readFile(from));
  }

  it("etcd: writes etcd.conf.yml for this member from etcd.json and the pod name", async () => {
    await copyServiceConfig("etcd", "etcd.json");
    await cp(join(EXAMPLES_DIR, "release-src/etcd"), appDir, { recursive: true });
    const result = await source("etcd", { POD_NAME: "etcd-1", PATH: process.env.PATH ?? "" });
    expect(result.stderr).toContain("wrote");
    expect(result.exitCode).toBe(0);
    const written = yaml.load(await readFile(join(appDir, "etcd.conf.yml"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(written).toMatchObject({
      name: "etcd-1",
      "initial-advertise-peer-urls": "http://etcd-1.etcd:2380",
      "advertise-client-urls": "http://etcd-1.etcd:2379",
      "initial-cluster":
        "etcd-0=http://etcd-0.etcd:2380,etcd-1=http://etcd-1.etcd:2380,etcd-2=http://etcd-2.etcd:2380",
      "initial-cluster-token": "simple-gitops-etcd",
      "quota-backend-bytes": 2147483648,
      "auto-compaction-retention": "1h",
    });
    expect(written["client-transport-security"]).toBeUndefined();
    // The StatefulSet points etcd at the file init.sh writes.
    const statefulSet = renderExample(config, serviceNamed("etcd")).find((o) => o.kind === "StatefulSet");
    expect(podSpecOf(statefulSet as KubeObject).containers[0]?.env).toContainEqual({
      name: "ETCD_CONFIG_FILE",
      value: "/app/etcd.conf.yml",
    });
  });

  it("etcd: serves clients over TLS when etcd-secret holds tls.crt and tls.key", async () => {
    await copyServiceConfig("etcd", "etcd.json");
    await cp(join(EXAMPLES_DIR, "release-src/etcd"), appDir, { recursive: true });
    for (const file of ["tls.crt", "tls.key", "ca.crt"]) await writeFile(join(secretDir, file), "x");
    const result = await source("etcd", { POD_NAME: "etcd-0", PATH: process.env.PATH ?? "" });
    expect(result.exitCode).toBe(0);
    const written = yaml.load(await readFile(join(appDir, "etcd.conf.yml"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(written["advertise-client-urls"]).toBe("https://etcd-0.etcd:2379");
    expect(written["client-transport-security"]).toEqual({
      "cert-file": `${secretDir}/tls.crt`,
      "key-file": `${secretDir}/tls.key`,
      "trusted-ca-file": `${secretDir}/ca.crt`,
      "client-cert-auth": true,
    });
  });

  it("etcd: fails with a clear message outside a StatefulSet", async () => {
    await copyServiceConfig("etcd", "etcd.json");
    await cp(join(EXAMPLES_DIR, "release-src/etcd"), appDir, { recursive: true });
    const result = await source("etcd", { POD_NAME: "etcd-abc", PATH: process.env.PATH ?? "" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("does not end in -N: run etcd as a StatefulSet");
  });

  it("monitoring: writes the prometheus.yml the Deployment's --config.file names", async () => {
    await copyServiceConfig("monitoring", "monitoring.json");
    const objects = renderExample(config, serviceNamed("monitoring"));
    const scrape = objects.find((o) => o.metadata.name === "prometheus-scrape") as KubeObject & {
      data: Record<string, string>;
    };
    await writeFile(join(dir, "scrape-configs.yml"), scrape.data["scrape-configs.yml"] ?? "");
    const result = await source("monitoring", {
      PROMETHEUS_SCRAPE_FILE: join(dir, "scrape-configs.yml"),
      PATH: process.env.PATH ?? "",
    });
    expect(result.exitCode).toBe(0);
    const written = yaml.load(await readFile(join(appDir, "prometheus.yml"), "utf8")) as {
      global: Record<string, unknown>;
      scrape_configs: { job_name: string }[];
      rule_files: string[];
    };
    expect(written.global).toEqual({
      scrape_interval: "30s",
      evaluation_interval: "30s",
      external_labels: { cluster: "home-cluster" },
    });
    expect(written.scrape_configs.map((job) => job.job_name)).toEqual(["prometheus", "etcd", "web"]);
    expect(written.rule_files).toEqual([`${appDir}/rules/*.yml`]);
    const prometheus = objects.find((o) => o.kind === "Deployment") as KubeObject;
    expect(podSpecOf(prometheus).containers[0]?.args).toContain("--config.file=/app/prometheus.yml");
    // The mount in the Deployment is where init.sh looks by default.
    expect(JSON.stringify(prometheus)).toContain('"mountPath":"/etc/prometheus/scrape"');
  });

  it("web: exports the settings of web.json, and the session key as a file path", async () => {
    await copyServiceConfig("web", "web.json");
    await writeFile(join(secretDir, "session-key"), "s3cret");
    const result = await source(
      "web",
      { PATH: process.env.PATH ?? "" },
      'printf "%s|%s|%s|%s" "$WEB_GREETING" "$PORT" "$LOG_LEVEL" "$WEB_SESSION_KEY_FILE"',
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`Hello from simple-gitops|8080|info|${secretDir}/session-key`);
  });

  it("web: fails with a clear message when web.json is not mounted", async () => {
    const result = await source("web", { PATH: process.env.PATH ?? "" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${configDir}/web.json is missing`);
  });
});
