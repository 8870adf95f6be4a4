import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/objects.js";
import { ApplyerUnavailableError } from "./applyer.js";
import { createNokubeApplyer } from "./nokube.js";

// A stand-in for the NoKube CLI: records its arguments and stdin, answers --help, and fails the way a CLI does
// (stderr, exit 1) when it is sent an object named bad-*.
function standIn(recordDir: string): string {
  return `#!/bin/sh
if [ "$1" = "--help" ]; then echo "nokube stand-in"; exit 0; fi
printf '%s\\n' "$@" > '${recordDir}/args'
cat > '${recordDir}/stdin'
if grep -q 'name: bad-' '${recordDir}/stdin'; then echo "error: apply failed: ConfigMap bad-one: invalid" >&2; exit 1; fi
echo "configmap/a created"
`;
}

let dir: string;
let server: Server;
let baseUrl: string;
let requests: string[];
let binary: string;
const log = pino({ level: "silent" });
const objects: KubeObject[] = [
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "apps" }, data: { k: "v" } },
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b", namespace: "apps" } },
];
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nokube-"));
  binary = standIn(dir);
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/nokube/linux-amd64/nokube") res.writeHead(200).end(binary);
    else if (req.url === "/moved") res.writeHead(302, { location: "/nokube/linux-amd64/nokube" }).end();
    else res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
});

async function workspace(): Promise<string> {
  return mkdtemp(join(dir, "ws-"));
}

describe("createNokubeApplyer", () => {
  it("downloads the CLI into the workspace, executable, and sends the YAML to `nokube apply --cluster`", async () => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "home-cluster",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: ws,
      log,
    });
    await applyer.ensureInstalled();
    expect((await stat(join(ws, "bin", "nokube"))).mode & 0o777).toBe(0o755);

    const result = await applyer.apply(objects);
    expect(await readFile(join(dir, "args"), "utf8")).toBe("apply\n--cluster\nhome-cluster\n");
    expect(yaml.loadAll(await readFile(join(dir, "stdin"), "utf8"))).toEqual(objects);
    expect(result).toEqual({
      applyer: "nokube",
      objects: [
        { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a", action: "created" },
        { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "b", action: "configured" },
      ],
    });
    expect(requests).toEqual(["/nokube/linux-amd64/nokube"]);
  });

  it("follows redirects and downloads again when the binary went missing", async () => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/moved`,
      workspace: ws,
      log,
    });
    await applyer.ensureInstalled();
    await applyer.ensureInstalled();
    await rm(join(ws, "bin", "nokube"));
    await applyer.apply(objects);
    expect(requests.filter((r) => r === "/moved")).toHaveLength(2);
  });

  it("reports every object failed with the CLI's message when the apply fails", async () => {
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      workspace: await workspace(),
      log,
    });
    const result = await applyer.apply([
      ...objects,
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bad-one" } },
    ]);
    expect(result.objects.map((o) => o.action)).toEqual(["failed", "failed", "failed"]);
    expect(result.objects[0]?.message).toBe("error: apply failed: ConfigMap bad-one: invalid");
  });

  it.each([
    { name: "the download URL answers 404", path: "/missing", sha256: undefined, error: /HTTP 404/ },
    {
      name: "the sha256 does not match",
      path: "/nokube/linux-amd64/nokube",
      sha256: "0".repeat(64),
      error: /sha256 is [0-9a-f]{64}, expected 0{64}/,
    },
  ])("is unavailable, and leaves no binary behind, when $name", async ({ path, sha256, error }) => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}${path}`,
      sha256,
      workspace: ws,
      log,
    });
    const caught = await applyer.apply(objects).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(ApplyerUnavailableError);
    expect((caught as Error).message).toMatch(error);
    await expect(stat(join(ws, "bin", "nokube"))).rejects.toThrow(/ENOENT/);
  });

  it("hands deletes to the next applyer", async () => {
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/x`,
      workspace: await workspace(),
      log,
    });
    await expect(applyer.delete([{ apiVersion: "v1", kind: "ConfigMap", name: "a" }])).rejects.toThrow(
      ApplyerUnavailableError,
    );
  });
});
