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
  const { loaded, dangling } = await readConfigFolder(dir);
  if (dangling.length > 0) throw new ConfigError(`invalid configuration in ${dir}:\n  ${dangling.join('\n  ')}`);
  return loaded;
}

/** A folder's resources, and the queues its Channels and Queues name that it does not hold. */
export interface FolderContents {
  loaded: { manifest: Manifest; resource: Resource }[];
  /** Dangling queue references of Channels and Queues, as sentences (see `referenceProblems`). */
  dangling: string[];
}

/**
 * Reads a folder as `loadManifests` does, except that a Channel or Queue naming a queue
 * the folder does not hold is not an error but `dangling`: that is what deleting a Queue's
 * file leaves behind, and the deletion must still go live (routers fall back for it, as
 * they do when the operator deletes a Queue). Every other problem fails the whole read.
 */
export async function readConfigFolder(dir: string): Promise<FolderContents> {
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
  const resources = loaded.map((l) => l.resource);
  problems.push(...referenceProblems(resources, { missingQueues: false }));
  if (problems.length > 0) throw new ConfigError(`invalid configuration in ${dir}:\n  ${problems.join('\n  ')}`);
  return { loaded, dangling: referenceProblems(resources) };
}

/** The queues a resource routes to: a Channel's queue and its rules' queues, a Queue's overflow, a Campaign's replies queue. */
export function queueReferences(r: Resource): string[] {
  const wanted =
    r.kind === 'Channel'
      ? [r.spec.queue, ...r.spec.inboundFlow.rules.flatMap((rule) => (rule.set.queue ? [rule.set.queue] : []))]
      : r.kind === 'Queue'
        ? (r.spec.overflow ? [r.spec.overflow.queue] : [])
        : (r.spec.replies?.queue ? [r.spec.replies.queue] : []);
  return [...new Set(wanted)];
}

/**
 * Names that must resolve: the queues channels, queues and campaigns route to; each
 * namespace/name declared once. `missingQueues: false` leaves out the queues Channels and
 * Queues name that do not exist (a Campaign's references are always checked).
 */
export function referenceProblems(resources: readonly Resource[], options: { missingQueues?: boolean } = {}): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const names = (kind: Resource['kind']) => new Set(resources.filter((r) => r.kind === kind).map((r) => `${r.metadata.namespace}/${r.metadata.name}`));
  const queues = names('Queue');
  const channels = names('Channel');
  for (const r of resources) {
    const id = `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`;
    if (seen.has(id)) problems.push(`${id} is declared twice`);
    seen.add(id);
    const checked = r.kind === 'Campaign' || options.missingQueues !== false;
    for (const q of checked ? queueReferences(r) : []) {
      if (!queues.has(`${r.metadata.namespace}/${q}`)) problems.push(`${id} routes to queue "${q}", which does not exist in namespace ${r.metadata.namespace}`);
    }
    if (r.kind === 'Campaign' && !channels.has(`${r.metadata.namespace}/${r.spec.channel}`)) {
      problems.push(`${id} sends through channel "${r.spec.channel}", which does not exist in namespace ${r.metadata.namespace}`);
    }
  }
  return problems;
}
