import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ConfigFolder {
  dir: string;
  remove(): Promise<void>;
}

/** A folder of resources for `PARLEY_CONFIG`: a WhatsApp channel of `tenant` and its queue `support`. */
export async function configFolder(tenant: string): Promise<ConfigFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-config-'));
  await writeFile(
    join(dir, 'resources.yaml'),
    `apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: whatsapp, namespace: ${tenant} }
spec: { type: whatsapp, queue: support }
---
apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support, namespace: ${tenant} }
spec: {}
`,
  );
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
