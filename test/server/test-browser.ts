import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** SYSTEM_CHROMIUMS are where Debian's and other distributions' Chromium packages put the browser. */
const SYSTEM_CHROMIUMS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

// Without the background-networking flags Chromium keeps dialling Google's hosts, which a closed network refuses.
const QUIET = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** TestBrowser is a launched browser and which Chromium it is (for the test's own messages). */
export interface TestBrowser {
  readonly browser: Browser;
  readonly executable: string;
}

/**
 * launchTestBrowser starts headless Chromium for the browser tests: `CHROMIUM_PATH` when set, else an installed
 * Chromium, else the one the @sparticuz/chromium npm package ships inside its tarball (brotli-compressed, unpacked to
 * /tmp on first use), so `npm ci && npm test` passes on a machine with no browser and only the npm registry.
 */
export async function launchTestBrowser(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<TestBrowser> {
  const chosen = env.CHROMIUM_PATH;
  if (chosen !== undefined && !existsSync(chosen)) {
    throw new Error(
      `CHROMIUM_PATH is ${chosen}, which does not exist; unset it to use any installed Chromium`,
    );
  }
  const installed = chosen ?? SYSTEM_CHROMIUMS.find((path) => existsSync(path));
  if (installed) {
    const browser = await chromium.launch({ executablePath: installed, args: ["--no-sandbox", ...QUIET] });
    return { browser, executable: installed };
  }
  const { default: packaged } = await import("@sparticuz/chromium");
  const executable = await packaged.executablePath();
  // Its --single-process (made for AWS Lambda) ends the whole browser when the first page closes.
  const args = packaged.args.filter((arg) => arg !== "--single-process");
  const browser = await chromium.launch({ executablePath: executable, args: [...args, ...QUIET] });
  return { browser, executable };
}
