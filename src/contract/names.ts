import { z } from 'zod';
import { rejectLoneSurrogates } from './strings.ts';

/**
 * Tokens that appear inside NATS subjects. They must never contain `.`, `*`, `>` or
 * whitespace, so each is validated before a subject is built from it.
 */

/** A tenant is a Kubernetes namespace: an RFC 1123 DNS label. */
export const TenantName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label (lowercase letters, digits, "-")');

/** A channel or queue name, as in `metadata.name` of the Channel/Queue resource. */
export const ResourceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label (lowercase letters, digits, "-")');

/** An agent id: chosen by the contact center, usually the agent's login. */
export const AgentId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of letters, digits, "_" or "-"');

export const Timestamp = z.iso.datetime({ offset: true });

/** A skill name, as agents and queues list them. */
export const Skill = z.string().regex(/^[a-z0-9][-a-z0-9_.]{0,63}$/, 'skills are lowercase words (letters, digits, "-", "_", ".")');

/** A link a customer or agent may open: web addresses only (no javascript:, data:, …). */
export const WebUrl = rejectLoneSurrogates(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })).refine((url) => !url.includes('\u0000'), 'must not contain NUL (U+0000)');
