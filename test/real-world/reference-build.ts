import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import type { KubeObject } from "./objects.js";
import type { RealWorldStack } from "./stacks.js";

/**
 * referenceBuild is what the stack's own documentation applies, built without simple-gitops: every YAML document of
 * the files under its directory, or `kubectl kustomize` of it.
 */
export async function referenceBuild(root: string, stack: RealWorldStack): Promise<KubeObject[]> {
  const dir = join(root, stack.dir);
  if (stack.reference === "kustomize") {
    const built = await execa("kubectl", ["kustomize", dir], { timeout: 60_000 });
    return documents(String(built.stdout));
  }
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
