#!/usr/bin/env -S npx tsx
/**
 * npm run demo: simple-gitops end to end on this machine, with no cluster and no GitHub account. It copies the
 * example GitOps repository into a real local git repository, serves it through the project's GitHub-compatible
 * test server on loopback, runs the controller on it (in --dry-run mode, or applying for real when KUBECONFIG
 * points at a cluster), prints where to look, then commits a change to one manifest and shows the controller
 * pick it up at its next poll. Ctrl-C stops everything it started and removes its temporary files.
 */
import { cp, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import yaml from "js-yaml";
import { createGitRepo } from "../test/github-server/git-repo.js";
import { createGitHubServer } from "../test/github-server/server.js";

const HELP = `Usage: npm run demo [-- options]

Runs simple-gitops against a local copy of examples/gitops-repo served by a GitHub-compatible test server on
127.0.0.1: first sync, then a commit that changes one manifest, detected at the next poll.

Options:
  --port N               HTTP port of the controller (default 8080; 0 picks a free one)
  --poll SECONDS         poll interval (default 5)
  --exit-after-change    exit 0 once the change was detected and rendered (for tests and CI)
  -h, --help             show this help

With KUBECONFIG set, the controller applies to that cluster with kubectl; otherwise it runs with --dry-run and
prints nothing but what it would apply.`;

const ROOT = new URL("..", import.meta.url).pathname;
const TOKEN = "demo-token";
const CHANGED_AT = "demo.simple-gitops.io/changed-at";

/** parseDemoArgs reads the flags, or exits 2 naming the one it does not know (no stack trace). */
function parseDemoArgs() {
  try {
    return parseArgs({
      options: {
        port: { type: "string", default: "8080" },
        poll: { type: "string", default: "5" },
        "exit-after-change": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
  } catch (error: unknown) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}\n`);
    process.exit(2);
  }
}
const { values } = parseDemoArgs();
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const say = (text: string) => process.stdout.write(`${text}\n`);
const work = await mkdtemp(join(tmpdir(), "simple-gitops-demo-"));
const server = await createGitHubServer();
server.allowToken(TOKEN);
let controller: ReturnType<typeof execa> | undefined;

async function cleanUp(): Promise<void> {
  controller?.kill("SIGTERM");
  await controller?.catch(() => undefined);
  await server.close();
  await rm(work, { recursive: true, force: true });
}
process.once("SIGINT", () => {
  say("\nstopping: controller, test server, temporary files");
  void cleanUp().then(() => process.exit(0));
});

try {
  say("▸ packing the example release tree (app.tar.gz + SHA256SUMS)");
  await execa(process.execPath, ["--import", "tsx", join(ROOT, "scripts/pack-release.ts")], { cwd: ROOT });

  const repo = await createGitRepo();
  await cp(join(ROOT, "examples/gitops-repo"), repo.dir, { recursive: true });
  const first = await repo.commit({}, "import examples/gitops-repo");
  const config = yaml.load(await readFile(join(ROOT, "examples/gitops-config.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  const owners = serveEveryRepo(config, repo.dir);
  const dryRun = !process.env.KUBECONFIG;
  Object.assign(config, {
    poll_interval: Number(values.poll),
    listen: `127.0.0.1:${values.port}`,
    release_dir: join(ROOT, "examples/release"),
    ...(dryRun ? {} : { applyers: ["kubectl"] }),
  });
  const configPath = join(work, "gitops-config.yaml");
  await writeFile(configPath, yaml.dump(config));
  say(
    `▸ serving ${owners.join(", ")} (a local git repository, commit ${first.slice(0, 7)}) at ${server.url}`,
  );
  say(
    `▸ starting the controller ${dryRun ? "in --dry-run mode (set KUBECONFIG to apply to a cluster)" : `against ${process.env.KUBECONFIG}`}`,
  );

  const args = [
    "--import",
    "tsx",
    join(ROOT, "controller/main.ts"),
    "--config",
    configPath,
    "--state-dir",
    join(work, "state"),
  ];
  // The rendered YAML goes to a file, not a pipe: the controller writes it synchronously before it logs "sync
  // applied", so once the demo reads that log line the file holds the whole rendering. A pipe gave no such order
  // (the log line could be read first, leaving "what would be applied" empty).
  const renderedPath = join(work, "rendered.yaml");
  controller = execa(process.execPath, dryRun ? [...args, "--dry-run"] : args, {
    env: { ...process.env, LOG_FORMAT: "json" },
    reject: false,
    buffer: false,
    stdout: { file: renderedPath },
  });
  const logs = followLogs(controller);

  const listening = await logs.waitFor((line) => line.msg === "HTTP server listening");
  const url = String(listening.url);
  const services = (config.services as { name: string }[]).map((service) => service.name);
  await logs.waitFor((line) => line.msg === "sync applied" && line.commit === first, services.length);
  say("");
  say(`✔ first sync of ${services.join(", ")} at ${first.slice(0, 7)}`);
  say(`  status page        ${url}/ui`);
  say(`  repositories       curl -s ${url}/v1/gitops/repos`);
  say(`  services           curl -s ${url}/v1/gitops/services`);
  say(`  release tree       curl -s ${url}/scripts/web/init.sh`);
  say(`  metrics            curl -s ${url}/metrics`);
  say("");

  const target = await firstManifest(join(repo.dir, "apps/web"));
  const changedAt = new Date().toISOString();
  const renderedBefore = dryRun ? (await stat(renderedPath)).size : 0;
  const started = Date.now();
  const changed = await repo.commit(
    { [target]: annotate(await readFile(join(repo.dir, target), "utf8"), CHANGED_AT, changedAt) },
    "demo: annotate one manifest",
  );
  say(
    `▸ committed ${changed.slice(0, 7)}: ${target} gets the annotation ${CHANGED_AT}: ${changedAt}; waiting for the next poll (every ${values.poll}s)`,
  );
  const applied = await logs.waitFor((line) => line.msg === "sync applied" && line.commit === changed);
  const files = (applied.files as { applied: string[] }).applied;
  say(
    `✔ detected and rendered in ${((Date.now() - started) / 1000).toFixed(1)}s: ${files.join(", ")} (service ${applied.service})`,
  );
  if (dryRun) say(`  what would be applied:\n${indent(await readFrom(renderedPath, renderedBefore))}`);
  if (values["exit-after-change"]) {
    await cleanUp();
    process.exit(0);
  }
  say("\nRunning: edit the served repository and watch the controller. Ctrl-C stops everything.");
  say(`  repository: ${repo.dir}`);
} catch (error: unknown) {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  await cleanUp();
  process.exit(1);
}

/** serveEveryRepo points every github_configs entry of the example config at the one local repository. */
function serveEveryRepo(config: Record<string, unknown>, dir: string): string[] {
  const entries = config.github_configs as Record<string, Record<string, unknown>>;
  const served: string[] = [];
  for (const entry of Object.values(entries)) {
    const name = `${entry.repo_owner}/${entry.repo_name}`;
    if (!served.includes(name)) {
      server.addRepo({ owner: String(entry.repo_owner), repo: String(entry.repo_name), dir });
      served.push(name);
    }
    for (const key of ["token_env", "token_file"]) delete entry[key];
    Object.assign(entry, { api_url: server.url, token: TOKEN, branch: "main" });
  }
  return served;
}

async function firstManifest(dir: string): Promise<string> {
  const name = (await readdir(dir)).filter((file) => /\.ya?ml$/.test(file)).sort()[0];
  if (!name) throw new Error(`no manifest in ${dir}`);
  return relative(repoRoot(dir), join(dir, name));
}

function repoRoot(dir: string): string {
  return dir.slice(0, dir.lastIndexOf("/apps/"));
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

/** followLogs reads the controller's JSON log lines and lets the demo wait for the ones it narrates. */
function followLogs(child: ReturnType<typeof execa>) {
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    match: (line: Record<string, unknown>) => boolean;
    count: number;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let buffer = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const complete = buffer.split("\n");
    buffer = complete.pop() ?? "";
    for (const text of complete) {
      if (!text.startsWith("{")) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      if (line.level === 50)
        process.stderr.write(`  ! ${line.msg}: ${JSON.stringify(line.error ?? line.err ?? "")}\n`);
      for (const waiter of [...waiters]) {
        if (!waiter.match(line)) continue;
        waiter.count -= 1;
        if (waiter.count === 0) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  return {
    waitFor(match: (line: Record<string, unknown>) => boolean, count = 1): Promise<Record<string, unknown>> {
      const seen = lines.filter(match);
      if (seen.length >= count) return Promise.resolve(seen[count - 1] as Record<string, unknown>);
      return new Promise((resolve, reject) => {
        waiters.push({ match, count: count - seen.length, resolve });
        void child.then((result) =>
          reject(new Error(`the controller exited (${result.exitCode}) before the demo was done`)),
        );
      });
    },
  };
}

/** annotate sets one annotation on the first document of a manifest, so the change shows in what is rendered. */
function annotate(manifest: string, key: string, value: string): string {
  const [first, ...rest] = yaml.loadAll(manifest) as {
    metadata?: { annotations?: Record<string, string> };
  }[];
  if (!first?.metadata)
    throw new Error(`the demo's manifest has no metadata to annotate: ${manifest.slice(0, 80)}`);
  first.metadata.annotations = { ...first.metadata.annotations, [key]: value };
  return [first, ...rest].map((doc) => yaml.dump(doc, { lineWidth: -1 })).join("---\n");
}

/** readFrom reads a file from byte `offset` to its end. */
async function readFrom(path: string, offset: number): Promise<string> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await file.read(buffer, 0, buffer.length, offset);
    return buffer.toString();
  } finally {
    await file.close();
  }
}
