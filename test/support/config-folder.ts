import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ConfigFolder {
  dir: string;
  remove(): Promise<void>;
}

/**
 * The resources of one tenant's WhatsApp channel `whatsapp` and its queue `support`, as
 * YAML (for a folder, or for `kubectl apply`). `queueSpec`: the Queue's spec, in flow style.
 */
export function channelAndQueue(tenant: string, queueSpec = '{}'): string {
  return `apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: whatsapp, namespace: ${tenant} }
spec: { type: whatsapp, queue: support }
---
apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support, namespace: ${tenant} }
spec: ${queueSpec}
`;
}

/** A folder of resources for `PARLEY_CONFIG`: see `channelAndQueue`. */
export async function configFolder(tenant: string): Promise<ConfigFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-config-'));
  await writeFile(join(dir, 'resources.yaml'), channelAndQueue(tenant));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
