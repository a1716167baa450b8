// The ConfigMaps and Secrets a manifest gives beside its Pod: what kubelet's
// configmap and secret managers would fetch from the API server, here read
// from the same file (`kubectl apply -f` of a file holding a Pod and its
// ConfigMap). Env (configMapKeyRef, secretKeyRef, envFrom) and volumes
// (configMap, secret, projected) look their keys up here; a name not here
// is kubelet's `configmap "x" not found`.

/** One ConfigMap or Secret, its keys' bytes as a container sees them. */
export interface ConfigObject {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  namespace: string;
  /**
   * ConfigMap: data (UTF-8) and binaryData; Secret: data (base64-decoded)
   * with stringData merged over it, as the API server stores it.
   */
  data: ReadonlyMap<string, Buffer>;
  /**
   * ConfigMap only: which keys of `data` came from binaryData. Env does
   * not see them (kubelet reads a ConfigMap's data alone for env); volumes
   * show both.
   */
  binaryKeys?: ReadonlySet<string>;
  /** Secret only: its type (default "Opaque") */
  type?: string;
}

/** The objects in the Pod's namespace, by name. */
export interface PodConfigObjects {
  configMaps: ReadonlyMap<string, ConfigObject>;
  secrets: ReadonlyMap<string, ConfigObject>;
}

export const NO_CONFIG_OBJECTS: PodConfigObjects = { configMaps: new Map(), secrets: new Map() };

/** Which of a pod's objects a reference names: a configMap… or a secret… field. */
export type ConfigObjectKind = 'configMap' | 'secret';

/** The objects of a kind, by name. */
export function objectsOfKind(objects: PodConfigObjects, kind: ConfigObjectKind): ReadonlyMap<string, ConfigObject> {
  return kind === 'configMap' ? objects.configMaps : objects.secrets;
}

/** kubelet's text for a reference to an object that is not there, its managers' NotFound: `configmap "x" not found`. */
export function notFoundText(kind: ConfigObjectKind, name: string): string {
  return `${kind === 'configMap' ? 'configmap' : 'secret'} ${JSON.stringify(name)} not found`;
}
