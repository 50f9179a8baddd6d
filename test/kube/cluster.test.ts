/**
 * kubeTarget(): the test API server with the project's CRDs (crds/*.yaml)
 * unless KUBECONFIG points at a real cluster.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubeTarget, kubectl, projectCrdFiles } from '../support/kube/cluster.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CrdDoc {
  kind?: string;
  spec?: { group?: string; names?: { plural?: string }; versions?: Array<{ name?: string; storage?: boolean }> };
}

describe('kubeTarget', () => {
  it('serves the project CRDs to kubectl and client-node (or uses the KUBECONFIG cluster)', async () => {
    const target = await kubeTarget();
    try {
      const version = await kubectl(['version'], target.kubeconfigPath);
      expect(version.code, version.stderr).toBe(0);
      expect(version.stdout).toContain('Server Version:');
      if (target.real) return;

      expect(target.server).toBeDefined();
      // Every x-kubernetes-validations rule in crds/ runs in the test server's CEL subset.
      expect(target.server?.skippedRules()).toEqual([]);

      const kc = new KubeConfig();
      kc.loadFromFile(target.kubeconfigPath);
      const custom = kc.makeApiClient(CustomObjectsApi);
      for (const file of projectCrdFiles()) {
        for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
          const crd = doc.toJS() as CrdDoc;
          if (crd.kind !== 'CustomResourceDefinition') continue;
          const { group = '', names = {}, versions = [] } = crd.spec ?? {};
          const res = await kubectl(['get', `${names.plural}.${group}`, '--all-namespaces'], target.kubeconfigPath);
          expect(res.code, res.stderr).toBe(0);
          const version = versions.find((v) => v.storage)?.name ?? '';
          const list = (await custom.listClusterCustomObject({ group, version, plural: names.plural ?? '' })) as { items: unknown[] };
          expect(list.items).toEqual([]);
        }
      }

      // The documented way in: kubectl apply of the examples.
      expect((await kubectl(['create', 'namespace', 'demo'], target.kubeconfigPath)).code).toBe(0);
      const examples = ['channels.yaml', 'queues.yaml'].map((f) => join(ROOT, 'examples', f));
      const applied = await kubectl(['apply', ...examples.flatMap((f) => ['-f', f])], target.kubeconfigPath);
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toContain('channel.parley.dev/whatsapp created');
      const channels = await kubectl(['get', 'channels', '-n', 'demo'], target.kubeconfigPath);
      expect(channels.stdout).toMatch(/^NAME\s+\S/);
      expect(channels.stdout).toMatch(/\nwhatsapp\s+\S.*\s\d+s\n/);
    } finally {
      await target.stop();
    }
  });
});
