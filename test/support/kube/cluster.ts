/**
 * The Kubernetes API the operator's tests run against: a real cluster when
 * KUBECONFIG is set, else the in-process test API server loaded with the
 * project's CRDs (crds/*.yaml).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeApiServer } from './api-server.ts';
import { startKubeApiServer } from './api-server.ts';

export { kubectl, ensureKubectl } from './kubectl.ts';
export type { KubectlResult, KubectlOptions } from './kubectl.ts';

export const CRDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'crds');

/** crds/*.yaml (and .yml), sorted. */
export function projectCrdFiles(dir = CRDS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface KubeTarget {
  kubeconfigPath: string;
  /** True when KUBECONFIG pointed at a cluster; false for the test server. */
  real: boolean;
  stop(): Promise<void>;
  /** The test server (undefined for a real cluster), for its test hooks. */
  server?: KubeApiServer;
}

/**
 * KUBECONFIG set: that cluster (its CRDs are the caller's business; stop()
 * does nothing). Otherwise a fresh test API server with crds/*.yaml loaded.
 */
export async function kubeTarget(opts: { crds?: string[] } = {}): Promise<KubeTarget> {
  const env = process.env.KUBECONFIG?.trim();
  if (env) {
    return { kubeconfigPath: env, real: true, stop: () => Promise.resolve() };
  }
  const server = await startKubeApiServer({ crds: opts.crds ?? projectCrdFiles() });
  return { kubeconfigPath: server.kubeconfigPath, real: false, stop: () => server.stop(), server };
}
