import { GitOpsError } from "../../common/errors.js";

/** ConfigIssue is one problem in a config file: where (`services[2].github`) and what was expected. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** ConfigError carries every issue found in a config at once, so a user fixes them in one round. */
export class ConfigError extends GitOpsError {
  readonly code = "E_CONFIG";
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    super(
      `${source}: ${issues.length} configuration error${issues.length === 1 ? "" : "s"}\n${lines.join("\n")}`,
    );
    this.issues = issues;
  }
}

/** formatPath renders a zod-style path as users write it: `services[2].github`, `github_configs.nokube.token`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(top level)" : out;
}
