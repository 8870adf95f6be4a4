/**
 * Row is one figure of the results table. A timing always comes with the baseline measured in the same run and
 * their `ratio` (value / baseline: above 1 means slower, or more, than the baseline); a count may have no baseline.
 */
export interface Row {
  readonly bench: string;
  readonly case: string;
  readonly metric: string;
  readonly unit: string;
  readonly value: number;
  /** What the baseline is, e.g. "kubectl apply --server-side -f". */
  readonly baseline?: string;
  readonly baselineValue?: number;
  readonly ratio?: number;
  /** How the figure was obtained when that is not obvious: repetitions, "analytic", a reduced N. */
  readonly note?: string;
  /** The goal the issue set for this figure, e.g. "≤ 0.7×", and whether this run met it. */
  readonly goal?: string;
  readonly met?: boolean;
}

/** withBaseline builds a row whose ratio is value / baselineValue. */
export function withBaseline(
  row: Omit<Row, "ratio" | "baselineValue"> & { baselineValue: number; baseline: string },
): Row {
  const ratio = row.baselineValue === 0 ? Number.NaN : row.value / row.baselineValue;
  return { ...row, ratio };
}

/** BenchResult is what one benchmark file returns: its rows and how long it took. */
export interface BenchResult {
  readonly name: string;
  readonly rows: readonly Row[];
  readonly seconds: number;
  readonly error?: string;
}
