import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import pino from "pino";
import type { Applyer, ApplyResult } from "../applyers/applyer.js";
import { createKubeApiApplyer } from "../applyers/kube-api.js";
import { createKubectlApplyer } from "../applyers/kubectl.js";
import { createKubeRequest } from "../kube/http.js";
import { loadKubeConfigFiles } from "../kube/kubeconfig.js";
import type { KubeObject } from "../kube/objects.js";
import { benchObjects, createNamespace, deleteNamespaces, kubectl } from "./cluster.js";
import { type Row, withBaseline } from "./row.js";
import { median, timed } from "./stats.js";

/** ApplyOptions size the apply benchmark: object counts and repetitions per count. */
export interface ApplyBenchOptions {
  readonly kubeconfig: string;
  readonly sizes?: readonly { readonly objects: number; readonly repetitions: number }[];
}

const BASELINE = "kubectl apply --server-side -f <dir>";

interface Contender {
  readonly name: string;
  /** apply applies the objects (also written one file per object under `dir`) and checks the outcome. */
  apply(objects: readonly KubeObject[], dir: string, expect: "created" | "unchanged"): Promise<void>;
}

/**
 * benchApplyThroughput times a first apply and a no-op re-apply of the same objects through the kubectl applyer
 * and the API applyer, against plain `kubectl apply --server-side -f` of the same files, on the test cluster.
 * Every repetition uses a fresh namespace per contender, and the contenders take turns within a repetition so that
 * the shared machine's noise falls on all of them alike. The namespaces are deleted after each size.
 */
export async function benchApplyThroughput(options: ApplyBenchOptions): Promise<Row[]> {
  const { kubeconfig } = options;
  const log = pino({ level: "silent" });
  const kubeConfig = loadKubeConfigFiles([kubeconfig]);
  const viaApplyer = (applyer: Applyer): Contender => ({
    name: `${applyer.name} applyer`,
    async apply(objects, _dir, expect) {
      check(applyer.name, await applyer.apply(objects), expect);
    },
  });
  const baseline: Contender = {
    name: BASELINE,
    async apply(_objects, dir) {
      await kubectl(kubeconfig, ["apply", "--server-side", "--field-manager=bench-baseline", "-f", dir]);
    },
  };
  const kubectlApplyer = createKubectlApplyer({ kubeconfig, log });
  const apiApplyer = createKubeApiApplyer({ request: createKubeRequest(kubeConfig), log });
  const contenders = [baseline, viaApplyer(kubectlApplyer), viaApplyer(apiApplyer)];

  const work = await mkdtemp(join(tmpdir(), "bench-apply-"));
  const namespaces: string[] = [];
  try {
    // Warm-up, not timed: discovery caches (kubectl's on disk, the API applyer's in memory), TLS, the JIT.
    for (const contender of contenders) {
      const warm = await createNamespace(kubeconfig, "bench-warm");
      namespaces.push(warm);
      const objects = benchObjects(warm, 6);
      await contender.apply(objects, await writeFiles(work, warm, objects), "created");
    }

    const rows: Row[] = [];
    for (const size of options.sizes ?? [
      { objects: 50, repetitions: 5 },
      { objects: 500, repetitions: 3 },
    ]) {
      const first = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
      const noop = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
      for (let rep = 0; rep < size.repetitions; rep++) {
        // Rotate who goes first, so no contender always runs right after another's namespace churn.
        const order = contenders.map((_, i) => contenders[(i + rep) % contenders.length] as Contender);
        for (const contender of order) {
          const ns = await createNamespace(kubeconfig, `bench-apply-${size.objects}`);
          namespaces.push(ns);
          const objects = benchObjects(ns, size.objects);
          const dir = await writeFiles(work, ns, objects);
          first.get(contender.name)?.push((await timed(() => contender.apply(objects, dir, "created"))).ms);
          noop.get(contender.name)?.push((await timed(() => contender.apply(objects, dir, "unchanged"))).ms);
        }
      }
      await deleteNamespaces(kubeconfig, namespaces.splice(0));
      for (const [phase, samples] of [
        ["first apply", first],
        ["no-op re-apply", noop],
      ] as const) {
        const base = median(samples.get(BASELINE) ?? []);
        for (const contender of contenders) {
          const value = median(samples.get(contender.name) ?? []);
          rows.push(
            withBaseline({
              bench: "apply",
              case: `${size.objects} objects, ${phase}`,
              metric: `${contender.name} wall`,
              unit: "ms",
              value,
              baseline: BASELINE,
              baselineValue: base,
              note: `median of ${size.repetitions}; ${Math.round((size.objects / value) * 1000)} objects/s`,
            }),
          );
        }
      }
    }
    return rows;
  } finally {
    await deleteNamespaces(kubeconfig, namespaces).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

async function writeFiles(root: string, name: string, objects: readonly KubeObject[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await Promise.all(
    objects.map((object, index) =>
      writeFile(join(dir, `${String(index).padStart(4, "0")}.yaml`), yaml.dump(object)),
    ),
  );
  return dir;
}

/**
 * check fails the run when any object failed. Actions other than the expected one are only counted: a Deployment
 * the deployment controller touches between the applyer's read and its apply (revision annotation) is honestly
 * reported "configured" on a re-apply, which is a race of the cluster, not a slower path.
 */
function check(applyer: string, result: ApplyResult, expect: "created" | "unchanged"): number {
  const failed = result.objects.filter((object) => object.action === "failed");
  if (failed.length > 0) {
    const first = failed[0];
    throw new Error(
      `${applyer} applyer: ${failed.length} objects failed, e.g. ${first?.kind}/${first?.name}: ${first?.message ?? ""}`,
    );
  }
  return result.objects.filter((object) => object.action !== expect).length;
}
