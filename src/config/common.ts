import { z } from 'zod';
import { ResourceName, TenantName } from '../contract/index.ts';

/** The API group and version of every Parley resource. */
export const apiVersion = 'parley.dev/v1alpha1';

export const Metadata = z.object({
  name: ResourceName,
  /** The tenant. @default "default" */
  namespace: TenantName.default('default'),
});

/** A key of a Kubernetes Secret in the resource's namespace. */
export const SecretKeyRef = z.strictObject({ name: ResourceName, key: z.string().min(1).max(253) });

/** Agent labels, as in Kubernetes label selectors (`matchLabels` only). */
export const LabelSelector = z.strictObject({
  matchLabels: z.record(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_./]{0,62}$/), z.string().max(63)),
});

// Specs are strict everywhere: a misspelt field (`alertingtimeout`) is an error, not a
// silent default — as kubectl's strict field validation would say.
