/**
 * Shared pieces of the operator tests: the Kubernetes target (test server or KUBECONFIG),
 * kubectl that fails loudly, reads of the custom objects, and an operator instance with
 * its own metrics registry.
 */
import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { KV } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { kubectl } from '../support/kube/cluster.ts';
import { waitFor } from '../support/services.ts';
import { createLogger } from '../../src/observability/index.ts';
import { group, kindInfo, readyCondition, startOperator, version, type Condition, type Operator, type OperatorOptions, type ParleyObject } from '../../operator/index.ts';
import type { ResourceKind } from '../../src/config/index.ts';

/** `kubectl <args>`; throws with kubectl's stderr on a non-zero exit. */
export async function kubectlOk(kubeconfig: string, args: string[], stdin?: string): Promise<string> {
  const result = await kubectl(args, kubeconfig, stdin === undefined ? {} : { stdin });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Creates a namespace with kubectl (apply: a real cluster may have it already). */
export async function ensureNamespace(kubeconfig: string, name: string): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

/** For afterAll: runs kubectl, and reports a failure instead of hiding the test's own. */
export async function cleanupWithKubectl(kubeconfig: string, args: string[], stdin?: string): Promise<void> {
  await kubectlOk(kubeconfig, args, stdin).catch((err: unknown) => console.warn(`cleanup: ${String(err)}`));
}

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Reads Channel, Queue and Campaign objects as the operator sees them. */
export class Objects {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  async get(kind: ResourceKind, namespace: string, name: string): Promise<ParleyObject | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ group, version, namespace, plural: kindInfo[kind].plural, name })) as ParleyObject;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  /**
   * Waits until the object's Ready condition matches and, unless `generation: false`, its
   * status reports the current generation (the operator has seen the latest spec).
   */
  async waitForReady(
    kind: ResourceKind,
    namespace: string,
    name: string,
    want: { status: Condition['status']; reason?: string; generation?: number | false },
    timeoutMs = 15_000,
  ): Promise<{ obj: ParleyObject; ready: Condition }> {
    return waitFor(
      async () => {
        const obj = await this.get(kind, namespace, name);
        const ready = obj && readyCondition(obj);
        if (!obj || !ready || ready.status !== want.status || (want.reason !== undefined && ready.reason !== want.reason)) return undefined;
        if (want.generation !== false) {
          const generation = want.generation ?? obj.metadata.generation;
          if (obj.status?.observedGeneration !== generation || obj.metadata.generation !== generation) return undefined;
        }
        return { obj, ready };
      },
      { timeoutMs, what: `${kind} ${namespace}/${name} Ready=${want.status}${want.reason ? ` (${want.reason})` : ''}` },
    );
  }
}

/** The manifest JSON the configuration bucket holds under `key`, or undefined. */
export async function bucketEntry(kv: KV, key: string): Promise<unknown> {
  const entry = await kv.get(key);
  return entry && entry.operation === 'PUT' ? (JSON.parse(entry.string()) as unknown) : undefined;
}

export interface TestOperator {
  operator: Operator;
  registry: Registry;
  /** parley_operator_reconciles_total summed over kinds and results. */
  reconciles(): Promise<number>;
}

/** An operator with its own metrics registry; warn-level logs. */
export async function startTestOperator(kc: KubeConfig, kv: KV, options: Partial<OperatorOptions> = {}): Promise<TestOperator> {
  const registry = new Registry();
  const operator = await startOperator({ kubeConfig: kc, kv, registry, logger: createLogger({ component: 'operator' }, { level: 'warn' }), ...options });
  return {
    operator,
    registry,
    async reconciles() {
      const metric = await registry.getSingleMetric('parley_operator_reconciles_total')?.get();
      return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
    },
  };
}

/** Waits until a wall-clock second has passed since `time` (RFC 3339, seconds), so a new timestamp would differ. */
export async function nextSecondAfter(time: string): Promise<void> {
  await waitFor(() => (Date.now() >= Date.parse(time) + 1_000 ? true : undefined), { what: `the clock to pass ${time}`, intervalMs: 20 });
}
