/** DownloadError says why an executable could not be downloaded; `code` is stable for logs and tests. */
export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(
    readonly code:
      | "E_DOWNLOAD_HTTP"
      | "E_DOWNLOAD_REDIRECT"
      | "E_DOWNLOAD_CHECKSUM"
      | "E_DOWNLOAD_IO"
      | "E_DOWNLOAD_TIMEOUT",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * StopReason turns an error of a download that was stopped into what to throw (the caller's abort reason, or a
 * timeout `DownloadError`), and any other error into undefined.
 */
export type StopReason = (error: unknown) => unknown;
