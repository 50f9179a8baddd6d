import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Resource } from './resources.ts';
import { isParleyDocument, parseManifest, toManifest, type Manifest } from './manifest.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads every `*.yaml`/`*.yml` file of a folder (not recursive) and validates each
 * document. Documents of other API groups or kinds are skipped; an invalid Channel,
 * Queue or Campaign — or one naming a queue or channel that does not exist — fails the
 * whole load with every problem listed, so a bad file never half-applies.
 */
export async function loadConfigFolder(dir: string): Promise<Resource[]> {
  return (await loadManifests(dir)).map((m) => m.resource);
}

/** Like `loadConfigFolder`, keeping each resource's manifest (what the configuration bucket stores). */
export async function loadManifests(dir: string): Promise<{ manifest: Manifest; resource: Resource }[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const loaded: { manifest: Manifest; resource: Resource }[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    parseAllDocuments(text).forEach((doc, index) => {
      const where = `${file}#${index + 1}`;
      if (doc.errors.length > 0) {
        problems.push(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
        return;
      }
      const value: unknown = doc.toJS();
      // Other groups' resources (a Knative Channel, …) and other kinds are not ours here.
      if (!isParleyDocument(value)) return;
      const manifest = toManifest(value);
      const parsed = parseManifest(manifest);
      if (parsed.ok) loaded.push({ manifest, resource: parsed.resource });
      else problems.push(`${where} (${manifest.kind}): ${parsed.problems.join('; ')}`);
    });
  }
  problems.push(...referenceProblems(loaded.map((l) => l.resource)));
  if (problems.length > 0) throw new ConfigError(`invalid configuration in ${dir}:\n  ${problems.join('\n  ')}`);
  return loaded;
}

/** Names that must resolve: the queues channels, queues and campaigns route to; each namespace/name declared once. */
export function referenceProblems(resources: readonly Resource[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const names = (kind: Resource['kind']) => new Set(resources.filter((r) => r.kind === kind).map((r) => `${r.metadata.namespace}/${r.metadata.name}`));
  const queues = names('Queue');
  const channels = names('Channel');
  for (const r of resources) {
    const id = `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`;
    if (seen.has(id)) problems.push(`${id} is declared twice`);
    seen.add(id);
    const wanted =
      r.kind === 'Channel'
        ? [r.spec.queue, ...r.spec.inboundFlow.rules.flatMap((rule) => (rule.set.queue ? [rule.set.queue] : []))]
        : r.kind === 'Queue'
          ? (r.spec.overflow ? [r.spec.overflow.queue] : [])
          : (r.spec.replies ? [r.spec.replies.queue] : []);
    for (const q of new Set(wanted)) {
      if (!queues.has(`${r.metadata.namespace}/${q}`)) problems.push(`${id} routes to queue "${q}", which does not exist in namespace ${r.metadata.namespace}`);
    }
    if (r.kind === 'Campaign' && !channels.has(`${r.metadata.namespace}/${r.spec.channel}`)) {
      problems.push(`${id} sends through channel "${r.spec.channel}", which does not exist in namespace ${r.metadata.namespace}`);
    }
  }
  return problems;
}
