import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesListObject } from '@kubernetes/client-node';
import type { ResourceKind } from '../src/config/index.ts';
import { TerminalError } from './controller.ts';
import { group, kindInfo, version, type ParleyObject, type ResourceStatus } from './resources.ts';

/** The HTTP status of a failed Kubernetes API call, if it got that far. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** What reconcile writes to the API server; `ParleyClient` is the real one. */
export interface ResourceWriter {
  /** Merge-patches `status` through the status subresource. */
  patchStatus(obj: ParleyObject, status: ResourceStatus): Promise<void>;
  /** Adds the finalizer and returns the updated object. */
  addFinalizer(obj: ParleyObject, finalizer: string): Promise<ParleyObject>;
  /** Removes the finalizer (a no-op when the object is already gone). */
  removeFinalizer(obj: ParleyObject, finalizer: string): Promise<void>;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** Channel, Queue and Campaign objects through `CustomObjectsApi`. */
export class ParleyClient implements ResourceWriter {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** The API path informers watch: one namespace, or every namespace. */
  static watchPath(kind: ResourceKind, namespace?: string): string {
    return namespace === undefined ? `/apis/${group}/${version}/${kindInfo[kind].plural}` : `/apis/${group}/${version}/namespaces/${namespace}/${kindInfo[kind].plural}`;
  }

  /** Every object of `kind` in `namespace`, or in every namespace. */
  async list(kind: ResourceKind, namespace?: string): Promise<KubernetesListObject<ParleyObject>> {
    const { plural } = kindInfo[kind];
    const list: unknown =
      namespace === undefined
        ? await this.api.listCustomObjectForAllNamespaces({ group, version, resourcePlural: plural })
        : await this.api.listNamespacedCustomObject({ group, version, namespace, plural });
    return list as KubernetesListObject<ParleyObject>;
  }

  /** The latest object from the API server; `undefined` when it does not exist. */
  async get(kind: ResourceKind, namespace: string, name: string): Promise<ParleyObject | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ group, version, namespace, plural: kindInfo[kind].plural, name })) as ParleyObject;
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async patchStatus(obj: ParleyObject, status: ResourceStatus): Promise<void> {
    try {
      await this.api.patchNamespacedCustomObjectStatus({ ...this.ref(obj), body: { status } }, mergePatch);
    } catch (err) {
      const code = httpStatus(err);
      if (code === 404) return; // deleted meanwhile: nothing left to report on
      // The CRD schema refused the status: a bug that no retry fixes.
      if (code === 400 || code === 422) throw new TerminalError(`status of ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} refused (${code})`, { cause: err });
      throw err;
    }
  }

  async addFinalizer(obj: ParleyObject, finalizer: string): Promise<ParleyObject> {
    const current = obj.metadata.finalizers;
    // Append rather than replace the list, so that another controller's finalizer added
    // meanwhile is kept; a list that appeared meanwhile fails the `test` and is retried.
    const ops = current
      ? [{ op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
      : [
          { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion },
          { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
        ];
    return (await this.api.patchNamespacedCustomObject({ ...this.ref(obj), body: ops }, jsonPatch)) as ParleyObject;
  }

  async removeFinalizer(obj: ParleyObject, finalizer: string): Promise<void> {
    const index = obj.metadata.finalizers?.indexOf(finalizer) ?? -1;
    if (index < 0) return;
    // By index, guarded by a test of that index: removing someone else's entry is impossible.
    const path = `/metadata/finalizers/${index}`;
    try {
      await this.api.patchNamespacedCustomObject(
        {
          ...this.ref(obj),
          body: [
            { op: 'test', path, value: finalizer },
            { op: 'remove', path },
          ],
        },
        jsonPatch,
      );
    } catch (err) {
      if (httpStatus(err) === 404) return;
      throw err;
    }
  }

  private ref(obj: ParleyObject) {
    return { group, version, plural: kindInfo[obj.kind].plural, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name ?? '' };
  }
}
