/** median is the middle of the sorted samples (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** p95 is the 95th percentile by linear interpolation between the closest ranks. */
export function p95(samples: readonly number[]): number {
  return quantile(samples, 0.95);
}

/** quantile interpolates linearly between the closest ranks of the sorted samples; NaN when there are none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * q;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (rank - low);
}

/** timed runs `fn` and resolves with its wall time in milliseconds and its value. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}
