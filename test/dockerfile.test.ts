import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { daemonSet } from "../install/workload.js";

// No Docker engine runs in CI, so the image is never built there; hadolint is not packaged for Debian either. These
// tests pin down the properties the image must have by reading the Dockerfile itself.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** parseDockerfile splits a Dockerfile into instructions (continuations joined, comments dropped) and stages. */
function parseDockerfile(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = pending + line;
    pending = "";
    if (full.trim() === "") continue;
    const match = /^(\S+)\s+([\s\S]*)$/.exec(full.trim());
    if (match) instructions.push({ keyword: (match[1] ?? "").toUpperCase(), args: (match[2] ?? "").trim() });
  }
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [from = "", , name = ""] = instruction.args.split(/\s+/);
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0) {
      globalArgs.push(instruction);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

const dockerfile = read("Dockerfile");
const { globalArgs, stages } = parseDockerfile(dockerfile);
const final = stages.at(-1) as Stage;
const stage = (name: string) => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name} (stages: ${stages.map((s) => s.name).join(", ")})`);
  return found;
};
const argDefault = (args: Instruction[], name: string) =>
  args
    .filter((a) => a.keyword === "ARG")
    .map((a) => /^(\w+)(?:=(.*))?$/.exec(a.args))
    .find((m) => m?.[1] === name)?.[2]
    ?.replace(/^"(.*)"$/, "$1");
const of = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
const execForm = (args: string) =>
  JSON.parse(args.replace(/^(--\S+\s+)*/, "").replace(/^CMD\s+/, "")) as string[];

describe("Dockerfile", () => {
  it("is multi-stage: build, prod-deps, kubectl and helm stages feed a final run stage", () => {
    expect(stages.map((s) => s.name)).toEqual(["build", "prod-deps", "kubectl", "helm", "run"]);
  });

  it("pins every base image to an exact version, and never uses latest", () => {
    expect(dockerfile).not.toMatch(/:latest\b/);
    for (const s of stages) {
      const image = s.from.replace(/^\$\{(\w+)\}$/, (_, name: string) => argDefault(globalArgs, name) ?? "");
      // An exact release (major.minor.patch) or a digest; a bare major such as node:20 moves under your feet.
      expect(image, `FROM of stage ${s.name}`).toMatch(
        /^[\w./-]+(:\S*\d+\.\d+\.\d+\S*|@sha256:[a-f0-9]{64})$/,
      );
    }
    expect(argDefault(globalArgs, "NODE_IMAGE")).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
  });

  it("builds with npm ci and the dev dependencies, and never with npm install", () => {
    expect(dockerfile).not.toMatch(/npm (install|i)\b/);
    const build = of(stage("build"), "RUN").map((r) => r.args);
    expect(build).toContain("npm ci --no-audit --no-fund");
    expect(build.some((r) => r.includes("tsc -p tsconfig.build.json"))).toBe(true);
  });

  it("puts only production dependencies in the final stage", () => {
    expect(of(stage("prod-deps"), "RUN").map((r) => r.args)).toEqual([
      "npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force",
    ]);
    const copies = of(final, "COPY").map((c) => c.args);
    expect(copies).toContain("--from=prod-deps /app/node_modules ./node_modules");
    // From the build stage only the compiled code and package.json, never its dev node_modules.
    for (const copy of copies.filter((c) => c.startsWith("--from=build"))) {
      expect(copy).toMatch(/^--from=build \/src\/(dist|package\.json) /);
    }
    expect(of(final, "RUN").some((r) => r.args.includes("npm"))).toBe(false);
  });

  it("downloads kubectl at the test cluster's minor version and checks its sha256 with sha256sum -c", () => {
    const kubectl = stage("kubectl");
    const clusterVersion = /^KUBERNETES_VERSION=(v\d+\.\d+)\./m.exec(
      read("scripts/test-cluster.versions"),
    )?.[1];
    expect(clusterVersion).toBeDefined();
    expect(argDefault(kubectl.instructions, "KUBECTL_VERSION")).toMatch(
      new RegExp(`^${clusterVersion}\\.\\d+$`),
    );
    expect(of(kubectl, "ARG").map((a) => a.args.split("=")[0])).toContain("KUBECTL_SHA256");
    const run = of(kubectl, "RUN")
      .map((r) => r.args)
      .find((r) => r.includes("dl.k8s.io"));
    expect(run).toContain(`https://dl.k8s.io/release/\${KUBECTL_VERSION}/bin/linux/\${TARGETARCH}/kubectl`);
    expect(run).toContain(`want="\${KUBECTL_SHA256:-$published}"`);
    expect(run).toMatch(/echo "\$\{want\} {2}\/tmp\/kubectl" \| sha256sum -c -/);
    // The check comes before the binary is installed, and pipefail makes a failing sha256sum fail the step.
    expect(run?.indexOf("sha256sum -c")).toBeLessThan(run?.indexOf("install -m 0755") ?? -1);
    expect(of(kubectl, "SHELL").map((s) => s.args)).toEqual(['["/bin/bash", "-o", "pipefail", "-c"]']);
    expect(of(final, "COPY").map((c) => c.args)).toContain(
      "--from=kubectl /usr/local/bin/kubectl /usr/local/bin/kubectl",
    );
  });

  it("downloads helm at the version scripts/helm.sh builds and checks its sha256 with sha256sum -c", () => {
    const helm = stage("helm");
    const pinned = /^HELM_VERSION=(\S+)$/m.exec(read("scripts/helm.sh"))?.[1];
    expect(pinned).toMatch(/^v3\.\d+\.\d+$/);
    expect(argDefault(helm.instructions, "HELM_VERSION")).toBe(pinned);
    const run = of(helm, "RUN")
      .map((r) => r.args)
      .find((r) => r.includes("get.helm.sh"));
    expect(run).toContain(`https://get.helm.sh/helm-\${HELM_VERSION}-linux-\${TARGETARCH}.tar.gz`);
    expect(run).toContain(`want="\${HELM_SHA256:-$published}"`);
    expect(run).toMatch(/echo "\$\{want\} {2}\/tmp\/helm\.tar\.gz" \| sha256sum -c -/);
    expect(run?.indexOf("sha256sum -c")).toBeLessThan(run?.indexOf("install -m 0755") ?? -1);
    expect(of(helm, "SHELL").map((s) => s.args)).toEqual(['["/bin/bash", "-o", "pipefail", "-c"]']);
    expect(of(final, "COPY").map((c) => c.args)).toContain(
      "--from=helm /usr/local/bin/helm /usr/local/bin/helm",
    );
  });

  it("runs as the numeric non-root user the install's DaemonSet expects", () => {
    const users = of(final, "USER").map((u) => u.args);
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0] ?? "").split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    const pod = daemonSet({ namespace: "default", clusterName: "c", image: "i", port: 8080 }, "h").spec
      .template.spec;
    expect(uid).toBe(pod.securityContext.runAsUser);
    expect(gid).toBe(pod.securityContext.runAsGroup);
    // The USER line comes after everything that needs root in the final stage.
    const keywords = final.instructions.map((i) => i.keyword);
    expect(keywords.lastIndexOf("RUN")).toBeLessThan(keywords.indexOf("USER"));
  });

  it("has a HEALTHCHECK that asks /healthz on 8080 with node, as the slim image has no curl", () => {
    const checks = of(final, "HEALTHCHECK").map((h) => h.args);
    expect(checks).toHaveLength(1);
    const command = execForm(checks[0] ?? "");
    expect(command[0]).toBe("node");
    expect(command.join(" ")).toContain("http://127.0.0.1:8080/healthz");
  });

  it("runs the compiled controller as its entrypoint, with args the DaemonSet can replace", () => {
    const entrypoints = of(final, "ENTRYPOINT").map((e) => execForm(e.args));
    expect(entrypoints).toEqual([
      ["node", "--max-semi-space-size=1", "--enable-source-maps", "dist/controller/main.js"],
    ]);
    const build = JSON.parse(read("tsconfig.build.json").replace(/^\s*\/\/.*$/gm, "")) as {
      compilerOptions: { outDir: string; rootDir: string; noEmit: boolean };
      files: string[];
    };
    expect(build.files).toEqual(["controller/main.ts"]);
    expect(build.compilerOptions).toMatchObject({ outDir: "dist", rootDir: ".", noEmit: false });
    // The DaemonSet passes args only; a command there would replace the entrypoint.
    const pod = daemonSet({ namespace: "default", clusterName: "c", image: "i", port: 8080 }, "h").spec
      .template.spec;
    expect(pod.containers[0]).not.toHaveProperty("command");
    const cmd = execForm(of(final, "CMD")[0]?.args ?? "[]");
    expect(cmd.slice(0, 2)).toEqual(["--config", pod.containers[0]?.args[1]]);
  });

  it("sends only what it copies to the build context (.dockerignore is an allowlist)", () => {
    const ignore = read(".dockerignore")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const allowed = new Set(
      ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, "")),
    );
    const fromContext = stages
      .flatMap((s) => of(s, "COPY"))
      .filter((c) => !c.args.startsWith("--from="))
      .flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    for (const source of fromContext) expect(allowed, source).toContain(source);
  });
});

describe("the compiled controller's imports", () => {
  it("need no devDependency at run time, since the image has production dependencies only", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = [join(ROOT, "controller/main.ts")];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
        if (specifier.startsWith(".")) {
          const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
          if (existsSync(target)) queue.push(target);
          continue;
        }
        if (specifier.startsWith("node:") || builtins.has(specifier)) continue;
        // `import type` is erased by tsc and needs nothing at run time.
        if (new RegExp(`import\\s+type\\s[^;]*from\\s+"${specifier}"`).test(text)) continue;
        const name = specifier.startsWith("@")
          ? specifier.split("/").slice(0, 2).join("/")
          : specifier.split("/")[0];
        packages.add(name ?? specifier);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    // Every folder the controller imports from must reach the build stage, or tsc cannot compile it there.
    const folders = new Set(
      [...seen].map((file) => file.slice(ROOT.length).replace(/^\//, "").split("/")[0] ?? file),
    );
    const copied = of(stage("build"), "COPY").flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    expect([...folders].filter((folder) => !copied.includes(folder))).toEqual([]);
    const missing = [...packages].filter((name) => pkg.dependencies[name] === undefined);
    expect(missing, "imported by the controller but not in dependencies").toEqual([]);
    expect(packages).toContain("fastify");
    // The kubeconfig is read by kube/kubeconfig.ts: the generated client (~69 MiB of RSS) stays out of the image.
    expect(packages).not.toContain("@kubernetes/client-node");
  });
});
