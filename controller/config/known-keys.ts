import type { z } from "zod";
import type { ConfigIssue } from "./config-error.js";
import {
  githubAppSchema,
  githubConfigSchema,
  notificationSchema,
  prPreviewOptionsSchema,
  rawConfigSchema,
  serviceSchema,
} from "./schema.js";
import { toConfigIssues } from "./zod-issues.js";

const shapeKeys = (schema: { shape: object }) => Object.keys(schema.shape);

/** knownKeysAt lists the keys a mapping at `path` accepts, for "unknown key" messages. */
export function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  const [top, index] = path;
  if (path.length === 0) return shapeKeys(rawConfigSchema);
  if (top === "services") return shapeKeys(serviceSchema);
  if (top === "notifications") return shapeKeys(notificationSchema);
  if (top === "applyer_nokube") return ["cluster_name", "nokube_download_url", "sha256"];
  if (top === "github_configs") {
    if (path[2] === "github_app") return shapeKeys(githubAppSchema);
    if (path[2] === "pr_preview") return shapeKeys(prPreviewOptionsSchema);
    return typeof index === "number"
      ? ["name", ...shapeKeys(githubConfigSchema)]
      : shapeKeys(githubConfigSchema);
  }
  return [];
}

/** issuesOf turns a failed zod parse into ConfigIssues under `prefix`. */
export function issuesOf(result: z.ZodSafeParseResult<unknown>, prefix: PropertyKey[] = []): ConfigIssue[] {
  return result.success ? [] : toConfigIssues(result.error.issues, knownKeysAt, prefix);
}
