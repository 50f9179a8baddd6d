import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesListObject } from '@kubernetes/client-node';
import type { ResourceKind } from '../src/config/index.ts';
import { TerminalError } from './controller.ts';
import { group, kindInfo, version, type ParleyObject, type ResourceStatus } from './resources.ts';

/** The HTTP status of a failed Kubernetes API call, if it got that far. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/**
 * A failed Kubernetes API call, named: what the operator was doing, the HTTP status and
 * the API server's own message — not the client's dump of the body and response headers.
 * Still an ApiException (same `code`), so `httpStatus` and callers' checks keep working.
 */
export class KubernetesApiError extends ApiException<unknown> {
  override readonly name = 'KubernetesApiError';
  constructor(action: string, err: ApiException<unknown>) {
    super(err.code, '', err.body, err.headers);
    this.message = `Kubernetes API: ${action}: HTTP ${err.code}${statusMessage(err.body)}`;
    this.cause = err;
  }
}

/** `err` named after `action` when it is an API server's refusal; any other error as it is. */
export function kubeError(action: string, err: unknown): unknown {
  return err instanceof ApiException && !(err instanceof KubernetesApiError) ? new KubernetesApiError(action, err as ApiException<unknown>) : err;
}

/** `: <reason>: <message>` of a Kubernetes Status body (a JSON string or an object), if it is one. */
function statusMessage(body: unknown): string {
  let status: unknown = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return body ? `: ${body.slice(0, 200)}` : '';
    }
  }
  const { reason, message } = (status ?? {}) as { reason?: unknown; message?: unknown };
  return [reason, message].filter((part) => typeof part === 'string' && part !== '').map((part) => `: ${String(part)}`).join('');
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
    try {
      const list: unknown =
        namespace === undefined
          ? await this.api.listCustomObjectForAllNamespaces({ group, version, resourcePlural: plural })
          : await this.api.listNamespacedCustomObject({ group, version, namespace, plural });
      return list as KubernetesListObject<ParleyObject>;
    } catch (err) {
      throw kubeError(`list ${plural}${namespace === undefined ? '' : ` in ${namespace}`}`, err);
    }
  }

  /** The latest object from the API server; `undefined` when it does not exist. */
  async get(kind: ResourceKind, namespace: string, name: string): Promise<ParleyObject | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ group, version, namespace, plural: kindInfo[kind].plural, name })) as ParleyObject;
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw kubeError(`get ${kindInfo[kind].plural} ${namespace}/${name}`, err);
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
      throw kubeError(`patch the status of ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`, err);
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
    try {
      return (await this.api.patchNamespacedCustomObject({ ...this.ref(obj), body: ops }, jsonPatch)) as ParleyObject;
    } catch (err) {
      throw kubeError(`add the finalizer of ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`, err);
    }
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
      throw kubeError(`remove the finalizer of ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`, err);
    }
  }

  private ref(obj: ParleyObject) {
    return { group, version, plural: kindInfo[obj.kind].plural, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name ?? '' };
  }
}
