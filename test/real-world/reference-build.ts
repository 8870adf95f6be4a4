import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import type { KubeObject } from "./objects.js";
import type { RealWorldStack } from "./stacks.js";

/**
 * referenceBuild is what the stack's own documentation applies, built without simple-gitops: every YAML document of
 * the files under its directory, `kubectl kustomize` of it, or `helm template` of its chart (with `helm`, the
 * pinned binary) and the files beside it.
 */
export async function referenceBuild(
  root: string,
  stack: RealWorldStack,
  helm = "helm",
): Promise<KubeObject[]> {
  const dir = join(root, stack.dir);
  const { reference } = stack;
  if (reference === "kustomize") {
    const built = await execa("kubectl", ["kustomize", dir], { timeout: 60_000 });
    return documents(String(built.stdout));
  }
  if (reference === "files") return filesUnder(dir);
  const args = [
    "template",
    reference.release,
    join(root, reference.chart),
    "--namespace",
    reference.namespace,
  ];
  const built = await execa(helm, [...args, "-f", join(root, reference.valuesFile), "--skip-tests"], {
    timeout: 60_000,
  });
  const beside = await Promise.all(reference.files.map((file) => readFile(join(root, file), "utf8")));
  // As `helm install -n` places them: a chart's objects that name no namespace go to the release's (the suite's
  // charts have no cluster-scoped objects, which would stay without one).
  const released = documents(String(built.stdout)).map((object) =>
    object.metadata.namespace
      ? object
      : { ...object, metadata: { ...object.metadata, namespace: reference.namespace } },
  );
  return [...beside.flatMap(documents), ...released];
}

async function filesUnder(dir: string): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.ya?ml$/.test(entry.name))
      objects.push(...documents(await readFile(join(entry.parentPath, entry.name), "utf8")));
  }
  return objects;
}

/** documents are the objects of a multi-document YAML text, a `…List`'s items each on its own, as kubectl reads them. */
function documents(text: string): KubeObject[] {
  return yaml
    .loadAll(text)
    .filter((doc): doc is KubeObject => doc !== null && doc !== undefined)
    .flatMap((doc) =>
      doc.kind.endsWith("List") && Array.isArray(doc.items) ? (doc.items as KubeObject[]) : [doc],
    );
}
