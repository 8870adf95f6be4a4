/**
 * DesiredFile is one manifest of a service at the new head, with its text. `changed` says whether its blob SHA
 * differs from the known one (or it is new): it is reported, but the whole set is what gets applied.
 */
export interface DesiredFile {
  readonly path: string;
  readonly sha: string;
  readonly size: number;
  readonly changed: boolean;
  readonly content: string;
}

/** FileFailure is one file that could not be applied, with the reason and, when known, its error code. */
export interface FileFailure {
  readonly path: string;
  readonly error: string;
  readonly code?: string;
}
