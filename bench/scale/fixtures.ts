/**
 * Generated repositories for the scale benchmark: N services spread over a few repositories, each service a
 * directory of one file holding a few ConfigMaps, all labelled with the run's stack label so one watch on the
 * apiserver sees every object land. Each contender and size gets its own copy (its own repository names and
 * namespace), so two runs never share an object.
 */
import { STACK_LABEL, VERSION_LABEL } from "../peer/fixtures.js";

/** SCALE_REPOS is how many repositories the services of one run are spread over. */
export const SCALE_REPOS = 10;
/** OBJECTS_PER_SERVICE is how many ConfigMaps each service's directory holds. */
export const OBJECTS_PER_SERVICE = 3;
/** SCALE_LABEL marks the Flux objects of the scale runs, so they are deleted by selector. */
export const SCALE_LABEL = "bench.simple-gitops.io/scale";

/** ScaleService is one service of a run: a directory of one of the run's repositories. */
export interface ScaleService {
  readonly repo: string;
  readonly service: string;
  readonly dir: string;
}

/** ScaleRun names one contender's copy at one size: its stack label, namespace and repository prefix. */
export interface ScaleRun {
  /** `scale-<services>-<contender>`: the stack label of its objects, its namespace, its repositories' prefix. */
  readonly name: string;
  readonly services: readonly ScaleService[];
}

/** scaleRun lays out `count` services over `repos` repositories, service i in repository i mod `repos`. */
export function scaleRun(count: number, contender: string, repos = SCALE_REPOS): ScaleRun {
  const name = `scale-${count}-${contender}`;
  const width = String(count - 1).length;
  const services = Array.from({ length: count }, (_, i) => {
    const service = `svc-${String(i).padStart(width, "0")}`;
    return { repo: `${name}-${i % repos}`, service, dir: service };
  });
  return { name, services };
}

/** serviceManifest is one service's file: OBJECTS_PER_SERVICE ConfigMaps in the run's namespace, at version 1. */
export function serviceManifest(run: string, service: string): string {
  return Array.from(
    { length: OBJECTS_PER_SERVICE },
    (_, i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${service}-${i}
  namespace: ${run}
  labels:
    ${STACK_LABEL}: ${run}
    ${VERSION_LABEL}: "1"
data:
  service: ${service}
  index: "${i}"
`,
  ).join("---\n");
}

/** repoFiles is every repository of the run with its files (path → text). */
export function repoFiles(run: ScaleRun): Map<string, Record<string, string>> {
  const repos = new Map<string, Record<string, string>>();
  for (const s of run.services) {
    const files = repos.get(s.repo) ?? {};
    files[`${s.dir}/config.yaml`] = serviceManifest(run.name, s.service);
    repos.set(s.repo, files);
  }
  return repos;
}

/**
 * fluxObjects is the GitRepositories (one per repository, polled every `interval`) and Kustomizations (one per
 * service, its directory, `prune: false, wait: false` as in the peer benchmark) of a run, in flux-system.
 */
export function fluxObjects(run: ScaleRun, cloneUrl: (repo: string) => string, interval: string): string {
  const meta = (name: string) =>
    `metadata: {name: ${name}, namespace: flux-system, labels: {${SCALE_LABEL}: ${run.name}}}`;
  const repos = [...new Set(run.services.map((s) => s.repo))].map(
    (repo) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
${meta(repo)}
spec: {url: "${cloneUrl(repo)}", ref: {branch: main}, interval: ${interval}, timeout: 60s}
`,
  );
  const kustomizations = run.services.map(
    (s) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
${meta(`${run.name}-${s.service}`)}
spec: {sourceRef: {kind: GitRepository, name: ${s.repo}}, path: "./${s.dir}", interval: 10m, prune: false, wait: false, timeout: 5m}
`,
  );
  return [...repos, ...kustomizations].join("---\n");
}
