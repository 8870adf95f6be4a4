import type { RepoView, ServiceView } from "../controller/report/server/views.js";
import type { ApiClient } from "./api-client.js";
import { EXIT, usageError } from "./cli-error.js";
import { CONNECTION_FLAGS, type Command, type CommandInput } from "./command.js";
import { CONNECTION_HELP } from "./help.js";
import { outputFormat, printAs } from "./output.js";
import { age, formatTable, oneLine, shortCommit } from "./table.js";

interface ServicesPage {
  readonly count: number;
  readonly total: number;
  readonly services: ServiceView[];
  readonly next: string | null;
  readonly timestamp: string;
}

/** MAX_PAGES bounds how many pages of services are read, at 1000 a page: far above any real install. */
const MAX_PAGES = 100;

const KINDS: Readonly<Record<string, "services" | "repos">> = {
  services: "services",
  service: "services",
  svc: "services",
  repos: "repos",
  repo: "repos",
};

/** getCommand is `get services|repos [NAME]`: what the status API says, as a table or as its JSON or YAML. */
export const getCommand: Command = {
  name: "get",
  usage: "get services|repos [NAME]",
  summary: "list services or repositories: state, commit, last deploy",
  help: `Usage: simple-gitops get services|repos [NAME] [-o json|yaml]

List the controller's services (NAME, STATE, COMMIT, LAST DEPLOY, SUSPENDED, MESSAGE) or repositories (NAME,
BRANCH, COMMIT, LAST DEPLOY, SERVICES, MESSAGE), or one of them by NAME. LAST DEPLOY is how long ago the commit
landed, by the controller's clock. MESSAGE says why a service failed, who suspended it, or what it was rolled back
to. -o json or -o yaml prints the API's answer instead: GET /v1/gitops/services (every page) or
/v1/gitops/services/NAME (with its last 20 events), GET /v1/gitops/repos or the one entry of NAME.

Exit status: 0 printed, 1 the controller could not be reached or failed, 2 bad usage, an unknown NAME or a
missing read token.

${CONNECTION_HELP}`,
  flags: [...CONNECTION_FLAGS, "output"],
  async run(input) {
    const [kindName, name, ...rest] = input.args;
    const kind = KINDS[kindName ?? ""];
    if (kind === undefined)
      throw usageError(
        `get needs what to list: services or repos${kindName ? `, not "${kindName}"` : ""}`,
        "get",
      );
    if (rest.length > 0)
      throw usageError(`get ${kind} takes at most one NAME, not also ${rest.join(" ")}`, "get");
    return kind === "services" ? getServices(input, name) : getRepos(input, name);
  },
};

async function getServices(input: CommandInput, name: string | undefined): Promise<number> {
  const format = outputFormat(input.flags, "get");
  const api = input.api();
  if (name !== undefined) {
    const detail = (await api.read(`/v1/gitops/services/${encodeURIComponent(name)}`)) as ServiceView & {
      timestamp: string;
    };
    if (!printAs(format, detail, input.deps.stdout))
      input.deps.stdout(servicesTable([detail], detail.timestamp));
    return EXIT.ok;
  }
  const all = await allServices(api);
  if (!printAs(format, all, input.deps.stdout)) input.deps.stdout(servicesTable(all.services, all.timestamp));
  return EXIT.ok;
}

/** allServices reads every page of `/v1/gitops/services` and answers them as one page. */
async function allServices(api: ApiClient): Promise<ServicesPage> {
  let page = (await api.read("/v1/gitops/services?limit=1000")) as ServicesPage;
  const services = [...page.services];
  for (let pages = 1; page.next !== null && pages < MAX_PAGES; pages++) {
    page = (await api.read(page.next)) as ServicesPage;
    services.push(...page.services);
  }
  return { ...page, count: services.length, services, next: null };
}

function servicesTable(services: readonly ServiceView[], timestamp: string): string {
  const now = Date.parse(timestamp);
  return formatTable(
    ["NAME", "STATE", "COMMIT", "LAST DEPLOY", "SUSPENDED", "MESSAGE"],
    services.map((service) => [
      service.name,
      service.state,
      shortCommit(service.last_commit_id),
      age(service.last_deploy_time, now),
      service.suspended ? "True" : "False",
      oneLine(serviceMessage(service)),
    ]),
  );
}

/** serviceMessage is the one thing a person most needs to know about a service, in the order that matters. */
function serviceMessage(service: ServiceView): string {
  const parts: string[] = [];
  if (service.last_error) parts.push(`${service.last_error.code}: ${service.last_error.message}`);
  const rolledBack = service.rolled_back;
  if (rolledBack) parts.push(`rolled back to ${shortCommit(rolledBack.restored_commit)} by ${rolledBack.by}`);
  const suspended = service.suspended;
  if (suspended) parts.push(`suspended by ${suspended.by}${suspended.reason ? `: ${suspended.reason}` : ""}`);
  if (parts.length === 0 && service.state === "pending") parts.push("not synced yet");
  return parts.join("; ");
}

async function getRepos(input: CommandInput, name: string | undefined): Promise<number> {
  const format = outputFormat(input.flags, "get");
  const answer = (await input.api().read("/v1/gitops/repos")) as { repos: RepoView[]; timestamp: string };
  const repos = name === undefined ? answer.repos : answer.repos.filter((repo) => repo.repo === name);
  if (name !== undefined && repos.length === 0) {
    const known = answer.repos.map((repo) => repo.repo).join(", ");
    throw usageError(`unknown repository "${name}" (known: ${known}); name it as owner/name`, "get");
  }
  if (printAs(format, name === undefined ? answer : repos[0], input.deps.stdout)) return EXIT.ok;
  const now = Date.parse(answer.timestamp);
  input.deps.stdout(
    formatTable(
      ["NAME", "BRANCH", "COMMIT", "LAST DEPLOY", "SERVICES", "MESSAGE"],
      repos.map((repo) => [
        repo.repo,
        repo.branch,
        shortCommit(repo.last_commit_id),
        age(repo.last_deploy_time, now),
        String(repo.service_count),
        oneLine(repo.waiting ? `waiting until ${repo.waiting.until}: ${repo.waiting.message}` : ""),
      ]),
    ),
  );
  return EXIT.ok;
}
