import { watch } from 'node:fs';
import type { KV } from '@nats-io/kv';
import { configKey, deleteManifest, listConfigKeys, putManifest, readConfigFolder, type Manifest } from '../src/config/index.ts';

export interface SyncResult {
  written: number;
  unchanged: number;
  deleted: number;
  /** Queues that Channels and Queues of the folder name but that it does not hold (as the operator's `MissingReference`). */
  dangling: string[];
}

/**
 * Local mode of the operator: makes the configuration bucket hold exactly the resources
 * of a folder of YAML files. The folder is validated as a whole first (schemas and
 * references), so an invalid file changes nothing live. A queue named but missing — its
 * file deleted — is no reason to keep it live: the rest goes live, the queue's deletion
 * too (routers go around it), and `dangling` says what names it.
 */
export async function syncFolder(dir: string, kv: KV): Promise<SyncResult> {
  const { loaded, dangling } = await readConfigFolder(dir);
  const wanted = new Set(loaded.map(({ manifest: m }) => configKey(m.kind, m.metadata.namespace, m.metadata.name)));
  const result: SyncResult = { written: 0, unchanged: 0, deleted: 0, dangling };
  for (const { manifest } of loaded) {
    if (await putManifest(kv, manifest)) result.written++;
    else result.unchanged++;
  }
  for (const key of await listConfigKeys(kv)) {
    if (wanted.has(key)) continue;
    const [kind = '', namespace = '', name = ''] = key.split('.');
    const Kind = (kind.charAt(0).toUpperCase() + kind.slice(1)) as Manifest['kind'];
    await deleteManifest(kv, Kind, namespace, name);
    result.deleted++;
  }
  return result;
}

/**
 * Syncs the folder again whenever a file in it changes (debounced). Errors — an invalid
 * file while someone is editing it — are reported and leave the live configuration as is.
 */
export function watchFolder(dir: string, kv: KV, report: (outcome: SyncResult | Error) => void): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      syncFolder(dir, kv).then(report, (err: unknown) => report(err instanceof Error ? err : new Error(String(err))));
    }, 200);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
