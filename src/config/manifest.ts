import { Resource } from './resources.ts';

/**
 * A resource as written by its author (durations as strings, defaults not applied),
 * stripped of everything but what Parley reads. This is what the configuration bucket
 * holds, so that every reader resolves it with the same schema.
 */
export interface Manifest {
  apiVersion: string;
  kind: Resource['kind'];
  metadata: { name: string; namespace: string };
  spec: unknown;
}

export type Parsed = { ok: true; resource: Resource } | { ok: false; problems: string[] };

const kinds = new Set<string>(['Channel', 'Queue', 'Campaign']);

/** Whether a document is one of ours: group parley.dev, a kind Parley knows. */
export function isParleyDocument(value: unknown): value is { apiVersion: string; kind: Resource['kind'] } & Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
  return typeof apiVersion === 'string' && apiVersion.startsWith('parley.dev/') && typeof kind === 'string' && kinds.has(kind);
}

/** Keeps apiVersion, kind, name, namespace (default "default") and spec. */
export function toManifest(value: { apiVersion: string; kind: Resource['kind'] } & Record<string, unknown>): Manifest {
  const metadata = (value.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return {
    apiVersion: value.apiVersion,
    kind: value.kind,
    metadata: { name: typeof metadata.name === 'string' ? metadata.name : '', namespace: typeof metadata.namespace === 'string' ? metadata.namespace : 'default' },
    spec: value.spec,
  };
}

/** Validates a manifest against the resource schema; problems name the field. */
export function parseManifest(manifest: Manifest): Parsed {
  const parsed = Resource.safeParse(manifest);
  if (parsed.success) return { ok: true, resource: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
}
