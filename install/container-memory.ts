const MIB = 1024 ** 2;
// The request under the default limit, about what the controller takes at rest with 50 repositories
// (bench/footprint-compiled.ts: 102-117 MiB), and the least limit accepted: under it the controller cannot even idle.
const DEFAULT_REQUEST_MIB = 96;
const DEFAULT_LIMIT_MIB = 256;

/**
 * DEFAULT_MEMORY_LIMIT is the controller container's memory limit unless `--memory-limit` says otherwise: enough for
 * about 1 000 services (README Performance).
 */
export const DEFAULT_MEMORY_LIMIT = `${DEFAULT_LIMIT_MIB}Mi`;

/** ContainerMemory is the controller container's memory request and limit, as Kubernetes quantities. */
export interface ContainerMemory {
  readonly request: string;
  readonly limit: string;
}

/** DEFAULT_MEMORY is the controller's memory with {@link DEFAULT_MEMORY_LIMIT}, as {@link containerMemory} makes it. */
export const DEFAULT_MEMORY: ContainerMemory = {
  request: `${DEFAULT_REQUEST_MIB}Mi`,
  limit: DEFAULT_MEMORY_LIMIT,
};

// Kubernetes' quantity grammar (k8s.io/apimachinery/pkg/api/resource): a decimal number and one suffix, binary
// (Ki … Ei), decimal (m, k, M … E) or an exponent (e3, E6).
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?\d+)?$/;
const FACTORS: Readonly<Record<string, number>> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** quantityBytes reads a Kubernetes quantity as a number of bytes, or undefined when it is not one. */
function quantityBytes(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, number = "", suffix = ""] = match;
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : FACTORS[suffix];
  const bytes = Number(number) * (factor ?? Number.NaN);
  return Number.isFinite(bytes) ? bytes : undefined;
}

/**
 * containerMemory is the controller's memory request and limit for a memory limit given as a Kubernetes quantity
 * (`1Gi`, `1500M`). The limit is kept as written. The request keeps the default's share of it (96Mi of 256Mi),
 * rounded up to a MiB: what the controller holds at rest grows with its services as its peak does, and a request
 * left at the small install's 96Mi would let a large one be scheduled where its memory is not free, and make it
 * the first pod the kubelet evicts when the node runs short. Node sizes its heap from the container's limit, so
 * the heap follows with nothing else set. A text that is not a quantity, or a limit below what the controller
 * takes at rest, is an error saying why.
 */
export function containerMemory(limit: string): ContainerMemory | { readonly error: string } {
  const bytes = quantityBytes(limit);
  if (bytes === undefined) {
    return { error: `"${limit}" is not a Kubernetes quantity (e.g. 512Mi, 1Gi, 1500M)` };
  }
  if (bytes < DEFAULT_REQUEST_MIB * MIB) {
    const milli = limit.endsWith("m") ? " (m means thousandths of a byte; Mi is MiB)" : "";
    return {
      error: `"${limit}" is below ${DEFAULT_REQUEST_MIB}Mi, less than the controller takes at rest${milli}`,
    };
  }
  const request = Math.ceil((bytes * DEFAULT_REQUEST_MIB) / DEFAULT_LIMIT_MIB / MIB);
  return { request: `${request}Mi`, limit };
}
