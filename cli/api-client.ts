import { READ_TOKEN_KEY, SECRET_NAME, SYNC_TOKEN_KEY } from "../install/options.js";
import { CliError, EXIT } from "./cli-error.js";
import { type ApiAnswer, REQUEST_TIMEOUT_MS, type Transport } from "./transport.js";

/** ACTOR_HEADER names who asks for a suspend, resume or rollback (docs/http-api.md, "Who asks"). */
const ACTOR_HEADER = "x-simple-gitops-actor";

/** ApiClientOptions are the transport and what every request carries. */
export interface ApiClientOptions {
  readonly transport: Transport;
  /** syncToken is GITOPS_SYNC_TOKEN's value (or --token), sent with every write. */
  readonly syncToken?: string;
  /** readToken is GITOPS_READ_TOKEN's value (or --read-token), sent with every read when set. */
  readonly readToken?: string;
  readonly actor?: string;
  /** namespace is the controller's namespace when known (--kube-namespace), for the kubectl hints. */
  readonly namespace?: string;
  readonly signal: AbortSignal;
}

/** WriteOptions say what a write is called in messages, which answers it handles itself, and its bound. */
export interface WriteOptions {
  /** verb is the CLI verb, for the message when the sync token is missing. */
  readonly verb: string;
  /** expect are the statuses the verb words itself; any other is a failure or, for 400 and 404, a usage error. */
  readonly expect: readonly number[];
  readonly timeoutMs?: number;
}

/** ApiClient reads and writes the controller's HTTP API, turning refusals into errors that say what to do. */
export interface ApiClient {
  readonly where: string;
  /** read GETs `path` and resolves with the body of a 2xx answer; any other answer rejects with a CliError. */
  read(path: string): Promise<unknown>;
  /** write POSTs `path` with the sync token and the actor; it resolves with the answers `options.expect` lists. */
  write(path: string, body: object | undefined, options: WriteOptions): Promise<ApiAnswer>;
}

/** createApiClient builds the client over a transport. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const { transport, signal } = options;
  const hintNamespace = options.namespace ?? "<namespace>";
  return {
    where: transport.where,
    async read(path) {
      const answer = await transport.send({
        method: "GET",
        path,
        ...(options.readToken === undefined ? {} : { token: options.readToken }),
        timeoutMs: REQUEST_TIMEOUT_MS,
        signal,
      });
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      if (answer.status === 401) throw tokenError(READ_TOKEN_KEY, "--read-token", answer, hintNamespace);
      throw refusal(answer, `GET ${path}`);
    },
    async write(path, body, write) {
      if (options.syncToken === undefined || options.syncToken === "") {
        throw new CliError(
          EXIT.usage,
          `${write.verb} needs the controller's sync token: set ${SYNC_TOKEN_KEY} (or pass --token) to the value of ${SYNC_TOKEN_KEY} in the controller's environment. ${secretHint(SYNC_TOKEN_KEY, hintNamespace)}`,
        );
      }
      const answer = await transport.send({
        method: "POST",
        path,
        ...(body === undefined ? {} : { body }),
        token: options.syncToken,
        headers: options.actor === undefined ? {} : { [ACTOR_HEADER]: options.actor },
        timeoutMs: write.timeoutMs ?? REQUEST_TIMEOUT_MS,
        signal,
      });
      if (write.expect.includes(answer.status)) return answer;
      if (answer.status === 401) throw tokenError(SYNC_TOKEN_KEY, "--token", answer, hintNamespace);
      throw refusal(answer, `POST ${path}`);
    },
  };
}

/** apiMessage is the controller's own sentence of an error answer (`{"error", "message"}`), or what there is. */
export function apiMessage(answer: ApiAnswer): string {
  const body = answer.body as { message?: unknown } | string | undefined;
  if (body !== null && typeof body === "object" && typeof body.message === "string") return body.message;
  if (typeof body === "string" && body.trim() !== "") return body.trim().slice(0, 500);
  return `HTTP ${answer.status}`;
}

/** tokenError says which variable holds the token the controller asked for, and where an install keeps it. */
function tokenError(variable: string, flag: string, answer: ApiAnswer, namespace: string): CliError {
  return new CliError(
    EXIT.usage,
    `the controller answered 401: ${apiMessage(answer)}\nSet ${variable} (or pass ${flag}) to the value of ${variable} in the controller's environment. ${secretHint(variable, namespace)}`,
  );
}

function secretHint(variable: string, namespace: string): string {
  return `An installed controller keeps it in its Secret:\n  kubectl -n ${namespace} get secret ${SECRET_NAME} -o jsonpath='{.data.${variable}}' | base64 -d`;
}

/**
 * refusal is an answer the verb does not word itself: a bad request or an unknown name (400, 404) is the caller's to
 * fix (exit 2), a writes-disabled controller (403) too; anything else is a failure (exit 1).
 */
function refusal(answer: ApiAnswer, what: string): CliError {
  const code = [400, 403, 404].includes(answer.status) ? EXIT.usage : EXIT.failed;
  const error = (answer.body as { error?: unknown } | undefined)?.error;
  const name = typeof error === "string" ? ` ${error}` : "";
  return new CliError(
    code,
    `${what}: the controller answered ${answer.status}${name}: ${apiMessage(answer)}`,
  );
}
