import type { KubeObject } from "../../../kube/objects.js";

export * from "../../../kube/objects.js";

/** SourcedObject is a parsed object together with the file it came from. */
export interface SourcedObject {
  path: string;
  object: KubeObject;
}

/** ConfigFile is a `.json` file of a service that is configuration, not a Kubernetes object. */
export interface ConfigFile {
  path: string;
  /** name is the key in the `{svc}-config` ConfigMap: the file's base name. */
  name: string;
  text: string;
}
