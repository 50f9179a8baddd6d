import { z } from 'zod';
import { ParleyError, TenantName } from '../contract/index.ts';

/** Roles a gateway token can carry, from least to most privileged. */
export const Roles = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof Roles)[number];

/** What a gateway token asserts: who (`sub`), in which tenant, with which role, until when. */
export interface Claims {
  sub: string;
  tenant: string;
  role: Role;
  /** Expiry, in seconds since the epoch. */
  exp: number;
  /** Issued at, in seconds since the epoch. */
  iat: number;
}

/** Where the claims are read from in a verified token (resolved from the environment by `readAuthSettings`). */
export interface ClaimMapping {
  /** Claim that names the caller (for an agent, its agent id). @default 'sub' */
  subject: string;
  /** Claim that names the tenant. @default 'tenant' */
  tenant: string;
  /** The tenant of every token, for an issuer that cannot add a tenant claim; the tenant claim is then not read. @default undefined */
  fixedTenant: string | undefined;
  /** Claim with the role, a string or an array of strings (groups). @default 'role' */
  role: string;
  /** The identity provider's role or group names → Parley roles; unset, the claim must hold Parley role names. @default undefined */
  roleMap: Readonly<Record<string, Role>> | undefined;
}

/** The claim names of Parley's own tokens (`parley token`, `signLocalToken`). */
export const defaultClaimMapping: ClaimMapping = {
  subject: 'sub',
  tenant: 'tenant',
  fixedTenant: undefined,
  role: 'role',
  roleMap: undefined,
};

// The tenant ends up inside NATS subjects, so even a correctly signed token must carry a
// valid DNS label there: a signing bug elsewhere must not turn into a wildcard subscription.
export const ClaimsSchema = z.object({
  sub: z.string().min(1).max(256),
  tenant: TenantName,
  role: z.enum(Roles),
  exp: z.number().int(),
  iat: z.number().int(),
});

/**
 * Reads Parley's claims out of a verified JWT payload.
 * @throws ParleyError `unauthorized` ("invalid claims: …") when a claim is missing or invalid.
 */
export function claimsFrom(payload: Record<string, unknown>, mapping: ClaimMapping): Claims {
  const role = roleOf(claimAt(payload, mapping.role), mapping);
  if (role === undefined) throw invalidClaims(`no Parley role in claim "${mapping.role}"`);
  const parsed = ClaimsSchema.safeParse({
    sub: claimAt(payload, mapping.subject),
    tenant: mapping.fixedTenant ?? claimAt(payload, mapping.tenant),
    role,
    exp: payload.exp,
    iat: payload.iat,
  });
  if (parsed.success) return parsed.data;
  const claimName = { sub: mapping.subject, tenant: mapping.tenant, role: mapping.role, exp: 'exp', iat: 'iat' };
  const detail = parsed.error.issues
    .map((issue) => `"${claimName[issue.path[0] as keyof typeof claimName]}": ${issue.message}`)
    .join('; ');
  throw invalidClaims(detail);
}

/**
 * A claim by name; a name with dots that is not itself a claim is a path into nested
 * objects (`realm_access.roles`). The exact name wins, so namespaced claims such as
 * `https://parley.example/tenant` still work.
 */
function claimAt(payload: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The most privileged Parley role among the claim's values (an IdP lists every group of the user). */
function roleOf(value: unknown, mapping: ClaimMapping): Role | undefined {
  const names = Array.isArray(value) ? value : [value];
  let best: Role | undefined;
  for (const name of names) {
    if (typeof name !== 'string') continue;
    const role = mapping.roleMap ? (Object.hasOwn(mapping.roleMap, name) ? mapping.roleMap[name] : undefined) : asRole(name);
    if (role !== undefined && (best === undefined || Roles.indexOf(role) > Roles.indexOf(best))) best = role;
  }
  return best;
}

function asRole(name: string): Role | undefined {
  return (Roles as readonly string[]).includes(name) ? (name as Role) : undefined;
}

function invalidClaims(detail: string): ParleyError {
  return new ParleyError('unauthorized', `invalid claims: ${detail}`);
}
