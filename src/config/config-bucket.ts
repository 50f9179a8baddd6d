import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { retryCreationRace, retryTimeouts } from '../bus/index.ts';
import type { Manifest } from './manifest.ts';

/**
 * The NATS KV bucket that holds the live configuration: one entry per resource, written
 * by the operator (or by `parley up` from a folder), watched by every process.
 */
export const CONFIG_BUCKET = 'parley_config';

/** `<kind>.<namespace>.<name>`, lowercase kind: e.g. `queue.demo.support`. */
export function configKey(kind: Manifest['kind'], namespace: string, name: string): string {
  return `${kind.toLowerCase()}.${namespace}.${name}`;
}

/** Opens the bucket, creating it on first use (idempotent: the same settings every time), asking again while JetStream answers late or another process creates it at the same time. */
export async function openConfigBucket(nc: NatsConnection): Promise<KV> {
  return retryTimeouts(() => retryCreationRace(() => new Kvm(nc).create(CONFIG_BUCKET, { history: 5, description: 'Parley live configuration (Channel, Queue, Campaign)' })));
}

/** Writes a resource's manifest; unchanged content is not rewritten (no spurious updates). */
export async function putManifest(kv: KV, manifest: Manifest): Promise<boolean> {
  const key = configKey(manifest.kind, manifest.metadata.namespace, manifest.metadata.name);
  const value = JSON.stringify(manifest);
  const current = await kv.get(key);
  if (current && current.operation === 'PUT' && current.string() === value) return false;
  await kv.put(key, value);
  return true;
}

export async function deleteManifest(kv: KV, kind: Manifest['kind'], namespace: string, name: string): Promise<void> {
  await kv.delete(configKey(kind, namespace, name));
}

/** Every key currently holding a resource. */
export async function listConfigKeys(kv: KV): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  return keys;
}
