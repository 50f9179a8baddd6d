import { parseManifest, referenceProblems, toManifest, type Manifest, type Resource, type ResourceKind } from '../src/config/index.ts';
import type { ParleyObject } from './resources.ts';

/** The names of live (existing, not being deleted) resources, by kind and namespace. */
export interface ExistingResources {
  names(kind: ResourceKind, namespace: string): Iterable<string>;
}

/**
 * `ok`: the resource can go live. `dangling`: the queues a Channel or a Queue names that do
 * not exist — not a reason to hold it back (routers go around a missing queue), but its
 * status says so.
 */
export type Validation = { ok: true; manifest: Manifest; resource: Resource; dangling: string[] } | { ok: false; manifest: Manifest; problems: string[] };

/**
 * Validates an object as the configuration bucket will hold it: the resource schema
 * (`parseManifest`), then its references with the folder loader's rules
 * (`referenceProblems`): the queues a Campaign's replies name, and the channel it sends
 * through, must exist in the same namespace; the queues a Channel or a Queue's overflow
 * name that do not exist are reported as `dangling`, as `readConfigFolder` does.
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
  const mine = (problems: string[]) => problems.filter((p) => p.startsWith(self));
  const problems = mine(referenceProblems([resource, ...others], { missingQueues: false }));
  if (problems.length > 0) return { ok: false, manifest, problems };
  return { ok: true, manifest, resource, dangling: mine(referenceProblems([resource, ...others])) };
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
