import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

/** A key of a Secret in a namespace (the Channel's `spec.provider.*.secrets.*`). */
export interface SecretRef {
  readonly name: string;
  readonly key: string;
}

/** Where the channels process reads provider secrets from. Values are never logged. */
export interface SecretSource {
  read(namespace: string, ref: SecretRef): Promise<string>;
}

export class SecretNotFoundError extends Error {
  override readonly name = 'SecretNotFoundError';
}

/**
 * Secrets from a local YAML file, for `parley up` and development: namespace → Secret name
 * → key → value. Read at each call (cheap, and an edit applies without a restart).
 *
 * ```yaml
 * demo:
 *   whatsapp-demo:
 *     app-secret: "…"
 * ```
 */
export function fileSecrets(path: string): SecretSource {
  return {
    async read(namespace, ref) {
      const doc = parse(await readFile(path, 'utf8')) as Record<string, Record<string, Record<string, unknown>>> | null;
      const value = doc?.[namespace]?.[ref.name]?.[ref.key];
      if (typeof value !== 'string' || value === '') throw new SecretNotFoundError(`secret ${namespace}/${ref.name} key ${ref.key} is not in ${path}`);
      return value;
    },
  };
}

/**
 * Kubernetes Secrets read through the API (the process's service account needs `get` on
 * secrets in the tenants' namespaces), cached for `ttlMs` so that a rotation applies
 * within that time without a restart.
 */
export async function kubernetesSecrets(ttlMs = 60_000): Promise<SecretSource> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const cache = new Map<string, { at: number; data: Record<string, string> }>();
  return {
    async read(namespace, ref) {
      const id = `${namespace}/${ref.name}`;
      let entry = cache.get(id);
      if (!entry || Date.now() - entry.at > ttlMs) {
        const secret = await api.readNamespacedSecret({ name: ref.name, namespace });
        entry = { at: Date.now(), data: secret.data ?? {} };
        cache.set(id, entry);
      }
      const encoded = entry.data[ref.key];
      if (encoded === undefined) throw new SecretNotFoundError(`secret ${id} has no key ${ref.key}`);
      return Buffer.from(encoded, 'base64').toString('utf8');
    },
  };
}

/** Secrets given in memory (tests, embedding). */
export function staticSecrets(values: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>>): SecretSource {
  return {
    read(namespace, ref) {
      const value = values[namespace]?.[ref.name]?.[ref.key];
      return value === undefined ? Promise.reject(new SecretNotFoundError(`secret ${namespace}/${ref.name} key ${ref.key} is not set`)) : Promise.resolve(value);
    },
  };
}
