import { parseManifest, referenceProblems, toManifest, type Manifest, type Resource, type ResourceKind } from '../src/config/index.ts';
import type { ParleyObject } from './resources.ts';

/** The names of live (existing, not being deleted) resources, by kind and namespace. */
export interface ExistingResources {
  names(kind: ResourceKind, namespace: string): Iterable<string>;
}

export type Validation = { ok: true; manifest: Manifest; resource: Resource } | { ok: false; manifest: Manifest; problems: string[] };

/**
 * Validates an object as the configuration bucket will hold it: the resource schema
 * (`parseManifest`), then its references with the folder loader's rules
 * (`referenceProblems`): the queues a Channel, a Queue's overflow or a Campaign's replies
 * name, and the channel a Campaign sends through, must exist in the same namespace.
 *
 * A referenced resource counts when it exists and is not being deleted — whether it is
 * itself valid is its own status's business (its last valid version stays live).
 */
export function validate(obj: ParleyObject, existing: ExistingResources): Validation {
  const manifest = toManifest(obj as unknown as Parameters<typeof toManifest>[0]);
  const parsed = parseManifest(manifest);
  if (!parsed.ok) return { ok: false, manifest, problems: parsed.problems };
  const { resource } = parsed;
  const { namespace, name } = resource.metadata;
  const others: Resource[] = [];
  const referable: ResourceKind[] = resource.kind === 'Campaign' ? ['Queue', 'Channel'] : ['Queue'];
  for (const kind of referable) {
    for (const other of existing.names(kind, namespace)) {
      if (kind === resource.kind && other === name) continue;
      const stand = placeholder(kind, namespace, other);
      if (stand) others.push(stand);
    }
  }
  // referenceProblems checks a whole set; keep what it says about this resource only.
  const self = `${resource.kind} ${namespace}/${name} `;
  const problems = referenceProblems([resource, ...others]).filter((p) => p.startsWith(self));
  return problems.length > 0 ? { ok: false, manifest, problems } : { ok: true, manifest, resource };
}

/**
 * A minimal valid resource standing for an existing one: only its kind and name matter to
 * the reference check (the placeholder's own references are filtered out). `undefined` for
 * a name Parley could never route to (the CRD schema keeps those out of the cluster).
 */
function placeholder(kind: ResourceKind, namespace: string, name: string): Resource | undefined {
  const spec = kind === 'Channel' ? { type: 'open', queue: name } : {};
  const parsed = parseManifest({ apiVersion: 'parley.dev/v1alpha1', kind, metadata: { namespace, name }, spec });
  return parsed.ok ? parsed.resource : undefined;
}
