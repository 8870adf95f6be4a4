/**
 * max-rss-hook is preloaded (`--import`) into a process the parse-bomb benchmark starts: when the process exits it
 * writes its peak RSS (`process.resourceUsage().maxRSS`, KiB) as JSON to the file named by BENCH_MAX_RSS_FILE.
 */
import { writeFileSync } from "node:fs";

const out = process.env.BENCH_MAX_RSS_FILE;
if (out) {
  process.on("exit", () => {
    writeFileSync(out, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
  });
}
