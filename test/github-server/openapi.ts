import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Content = { content?: Record<string, { schema: object }> } | undefined;
interface Operation {
  readonly requestBody?: Content;
  readonly responses: Record<string, Content>;
}
interface OpenApi {
  readonly paths: Record<string, Record<string, Operation | undefined>>;
}

let openapi: OpenApi | undefined;
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

// OpenAPI 3.0's `nullable` is not JSON Schema (ajv accepts it only beside `type`, GitHub also puts it beside
// `oneOf`), so it is rewritten as "this schema, or null".
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== "object" || schema === null) return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, toJsonSchema(value)]),
  );
  return nullable === true ? { anyOf: [converted, { type: "null" }] } : converted;
}

/**
 * openapiValidator compiles the schema GitHub's own description (@octokit/openapi, dereferenced) gives for an
 * operation's JSON request body (`part` "request") or for one response status (`part` "201"). The description is
 * read on first use and every schema compiled once per process.
 */
export function openapiValidator(method: string, path: string, part: string): ValidateFunction {
  const key = `${method} ${path} ${part}`;
  let validate = validators.get(key);
  if (validate !== undefined) return validate;
  openapi ??= createRequire(import.meta.url)(
    "@octokit/openapi/generated/api.github.com.deref.json",
  ) as OpenApi;
  if (ajv === undefined) {
    // strict: false because GitHub's schemas carry OpenAPI-only keywords (`example`, `discriminator`).
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
  }
  const operation = openapi.paths[path]?.[method.toLowerCase()];
  const content = part === "request" ? operation?.requestBody : operation?.responses[part];
  const schema = content?.content?.["application/json"]?.schema;
  if (schema === undefined) throw new Error(`no ${part} schema for ${key}`);
  validate = ajv.compile(toJsonSchema(schema) as object);
  validators.set(key, validate);
  return validate;
}

/** schemaErrors lists why `body` does not match an operation's schema (empty when it does). */
export function schemaErrors(method: string, path: string, part: string, body: unknown): string[] {
  const validate = openapiValidator(method, path, part);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || "(body)"} ${error.message ?? ""}`);
}
