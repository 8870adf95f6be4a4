export { checkNamespaces, type NamespacePolicy } from "./allowlist.js";
export { bootstrapScript, commandWrapper } from "./bootstrap-script.js";
export { type ParsedFile, parseManifests } from "./parse.js";
export { type RenderInput, renderService, serviceConfigMapName } from "./render.js";
export { sortForApply } from "./sort.js";
export { DEFAULT_BOOTSTRAP_IMAGE, makeStateless, podTemplateOf, type StatelessOptions } from "./stateless.js";
export * from "./types.js";
