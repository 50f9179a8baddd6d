import { TenantName } from '../contract/index.ts';
import { Roles } from './claims.ts';
import type { ClaimMapping, Role } from './claims.ts';

/**
 * How gateway tokens are verified, read once from the environment. An empty value counts
 * as unset. docs/authentication.md explains each mode; its table is held to this file by
 * test/auth/docs.test.ts.
 *
 * | variable                      | modes        | meaning                                                   | default |
 * |-------------------------------|--------------|-----------------------------------------------------------|---------|
 * | PARLEY_AUTH_MODE              | all          | `local`, `keys` or `oidc`                                 | local |
 * | PARLEY_AUTH_SECRET            | local        | HS256 secret; its UTF-8 bytes are the key                 | `up`: generated; else required |
 * | PARLEY_AUTH_KEYS              | keys         | public key files (.pem, .json JWK / JWK set) or folders   | required |
 * | PARLEY_AUTH_ISSUER            | all          | expected `iss`; in `oidc` also where discovery starts     | not checked; `oidc`: required |
 * | PARLEY_AUTH_AUDIENCE          | all          | accepted `aud` values, comma-separated                    | not checked; `oidc`: required |
 * | PARLEY_AUTH_JWKS_URL          | oidc         | the issuer's JWKS URL                                     | discovered |
 * | PARLEY_AUTH_ALGORITHMS        | keys, oidc   | accepted signature algorithms                             | RS256,ES256 |
 * | PARLEY_AUTH_CLOCK_TOLERANCE   | all          | seconds of clock skew allowed on `exp` and `nbf`          | 30 |
 * | PARLEY_AUTH_SUBJECT_CLAIM     | all          | claim with the caller's id                                | sub |
 * | PARLEY_AUTH_TENANT_CLAIM      | all          | claim with the tenant                                     | tenant |
 * | PARLEY_AUTH_TENANT            | all          | fixed tenant of every token (tenant claim not read)       | none |
 * | PARLEY_AUTH_ROLE_CLAIM        | all          | claim with the role (string or array)                     | role |
 * | PARLEY_AUTH_ROLE_MAP          | all          | `idp-name=role,…` to agent, supervisor, admin             | none |
 * | PARLEY_AUTH_CLIENT_ID         | oidc         | the web app's (public) client id at the issuer            | none: no sign-in button |
 * | PARLEY_AUTH_SCOPES            | oidc         | scopes the web app asks for, space- or comma-separated    | openid profile offline_access |
 */
export type AuthSettings = LocalAuthSettings | KeysAuthSettings | OidcAuthSettings;

export const AuthModes = ['local', 'keys', 'oidc'] as const;
export type AuthMode = (typeof AuthModes)[number];

/**
 * Signature algorithms a public key can verify. Symmetric (HS*) algorithms are left out
 * on purpose: accepting them next to public keys is the classic algorithm-confusion hole.
 */
export const AsymmetricAlgorithms = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;
export type AsymmetricAlgorithm = (typeof AsymmetricAlgorithms)[number];

interface CommonAuthSettings {
  /** Expected `iss`. @default undefined (not checked) */
  issuer: string | undefined;
  /** Accepted `aud` values, any one of which must be in the token. @default [] (not checked) */
  audience: readonly string[];
  /** Seconds of clock skew allowed on `exp` and `nbf`. @default 30 */
  clockToleranceSeconds: number;
  /** Where the subject, tenant and role are read from. */
  claims: ClaimMapping;
}

/** HS256 with a shared secret: what `parley up` uses. */
export interface LocalAuthSettings extends CommonAuthSettings {
  mode: 'local';
  /** The shared secret; its UTF-8 bytes are the HMAC key. `up` generates one when unset. @default undefined */
  secret: string | undefined;
}

/** Public keys from files, each with a `kid`; several at once during a rotation. */
export interface KeysAuthSettings extends CommonAuthSettings {
  mode: 'keys';
  /** PEM public keys (the file name without `.pem` is the `kid`), JWK or JWK set files, or folders of them. */
  keyFiles: readonly string[];
  /** @default ['RS256', 'ES256'] */
  algorithms: readonly AsymmetricAlgorithm[];
}

/** A company's OpenID Connect issuer, its keys fetched (and refetched on rotation) from its JWKS. */
export interface OidcAuthSettings extends CommonAuthSettings {
  mode: 'oidc';
  issuer: string;
  /** @default undefined (read from `<issuer>/.well-known/openid-configuration`) */
  jwksUrl: string | undefined;
  /** @default ['RS256', 'ES256'] */
  algorithms: readonly AsymmetricAlgorithm[];
  /** How long fetched keys are used before the JWKS is fetched again. @default 600000 (10 min) */
  jwksCacheMaxAgeMs: number;
  /** Least time between two fetches caused by an unknown `kid` (or between discovery attempts). @default 30000 */
  jwksCooldownMs: number;
  /** Timeout of one discovery or JWKS request. @default 5000 */
  jwksTimeoutMs: number;
  /** The web app's sign-in through the issuer (authorization code + PKCE). @default undefined (the app offers a pasted token only) */
  client: OidcClientSettings | undefined;
}

/** What the web app, a public client, needs to sign in through the issuer: served by `GET /v1/auth/sign-in`. */
export interface OidcClientSettings {
  /** The client id registered at the issuer (a public client: no secret, PKCE). */
  clientId: string;
  /** @default ['openid', 'profile', 'offline_access'] (offline_access: a refresh token, so the app renews its token before it expires) */
  scopes: readonly string[];
}

export class AuthSettingsError extends Error {
  override readonly name = 'AuthSettingsError';
}

export const authDefaults = {
  mode: 'local',
  algorithms: ['RS256', 'ES256'],
  clockToleranceSeconds: 30,
  jwksCacheMaxAgeMs: 600_000,
  jwksCooldownMs: 30_000,
  jwksTimeoutMs: 5_000,
  scopes: ['openid', 'profile', 'offline_access'],
} as const;

/** @throws AuthSettingsError naming the variable when a value is invalid or a mode lacks a required one. */
export function readAuthSettings(env: NodeJS.ProcessEnv = process.env): AuthSettings {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const mode = value('PARLEY_AUTH_MODE') ?? authDefaults.mode;
  if (!(AuthModes as readonly string[]).includes(mode)) {
    throw new AuthSettingsError(`PARLEY_AUTH_MODE=${mode} must be one of ${AuthModes.join(', ')}`);
  }
  const common: CommonAuthSettings = {
    issuer: value('PARLEY_AUTH_ISSUER'),
    audience: list(value('PARLEY_AUTH_AUDIENCE')),
    clockToleranceSeconds: integer('PARLEY_AUTH_CLOCK_TOLERANCE', value('PARLEY_AUTH_CLOCK_TOLERANCE'), authDefaults.clockToleranceSeconds, 0, 300),
    claims: {
      subject: value('PARLEY_AUTH_SUBJECT_CLAIM') ?? 'sub',
      tenant: value('PARLEY_AUTH_TENANT_CLAIM') ?? 'tenant',
      fixedTenant: tenant(value('PARLEY_AUTH_TENANT')),
      role: value('PARLEY_AUTH_ROLE_CLAIM') ?? 'role',
      roleMap: roleMap(value('PARLEY_AUTH_ROLE_MAP')),
    },
  };
  // A setting of another mode would be silently ignored: most likely the mode was forgotten.
  const only = (name: string, modes: readonly AuthMode[]): void => {
    if (value(name) !== undefined && !modes.includes(mode as AuthMode)) {
      throw new AuthSettingsError(`${name} is set, but PARLEY_AUTH_MODE is ${mode} (it applies to ${modes.join(', ')})`);
    }
  };
  only('PARLEY_AUTH_KEYS', ['keys']);
  only('PARLEY_AUTH_JWKS_URL', ['oidc']);
  only('PARLEY_AUTH_ALGORITHMS', ['keys', 'oidc']);
  only('PARLEY_AUTH_CLIENT_ID', ['oidc']);
  only('PARLEY_AUTH_SCOPES', ['oidc']);
  const algorithms = algorithmList(value('PARLEY_AUTH_ALGORITHMS'));

  switch (mode as AuthMode) {
    case 'local':
      // Kept outside local mode too (the Helm chart always sets it), but only read here; not
      // trimmed: its bytes are the key, exactly as `parley token` and other signers use them.
      return { mode: 'local', ...common, secret: env.PARLEY_AUTH_SECRET || undefined };
    case 'keys': {
      const keyFiles = list(value('PARLEY_AUTH_KEYS'));
      if (keyFiles.length === 0) throw new AuthSettingsError('PARLEY_AUTH_MODE=keys needs PARLEY_AUTH_KEYS (public key files or folders)');
      return { mode: 'keys', ...common, keyFiles, algorithms };
    }
    case 'oidc': {
      const issuer = common.issuer;
      if (issuer === undefined) throw new AuthSettingsError('PARLEY_AUTH_MODE=oidc needs PARLEY_AUTH_ISSUER (the issuer URL, exactly as in its tokens\' "iss")');
      httpUrl('PARLEY_AUTH_ISSUER', issuer);
      // Any token of the issuer (for any of its applications) would pass without it.
      if (common.audience.length === 0) throw new AuthSettingsError('PARLEY_AUTH_MODE=oidc needs PARLEY_AUTH_AUDIENCE (the client id or API identifier Parley\'s tokens are issued for)');
      const jwksUrl = value('PARLEY_AUTH_JWKS_URL');
      if (jwksUrl !== undefined) httpUrl('PARLEY_AUTH_JWKS_URL', jwksUrl);
      const clientId = value('PARLEY_AUTH_CLIENT_ID');
      const scopes = scopeList(value('PARLEY_AUTH_SCOPES'));
      if (clientId === undefined && scopes !== undefined) throw new AuthSettingsError('PARLEY_AUTH_SCOPES is set, but PARLEY_AUTH_CLIENT_ID is not (the scopes are those the web app asks for as that client)');
      // Without openid there is no ID token, nonce or end-session: not an OpenID Connect sign-in.
      if (scopes !== undefined && !scopes.includes('openid')) throw new AuthSettingsError(`PARLEY_AUTH_SCOPES=${scopes.join(' ')} must include openid`);
      return {
        mode: 'oidc',
        ...common,
        issuer,
        jwksUrl,
        algorithms,
        jwksCacheMaxAgeMs: authDefaults.jwksCacheMaxAgeMs,
        jwksCooldownMs: authDefaults.jwksCooldownMs,
        jwksTimeoutMs: authDefaults.jwksTimeoutMs,
        client: clientId === undefined ? undefined : { clientId, scopes: scopes ?? [...authDefaults.scopes] },
      };
    }
  }
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** OAuth scopes are space-separated; commas are accepted too, as in every other list setting. */
function scopeList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(/[\s,]+/).filter((s) => s !== '');
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new AuthSettingsError(`${name}=${raw} must be an integer from ${min} to ${max}`);
  return parsed;
}

function tenant(raw: string | undefined): string | undefined {
  if (raw !== undefined && !TenantName.safeParse(raw).success) {
    throw new AuthSettingsError(`PARLEY_AUTH_TENANT=${raw} must be a DNS label (lowercase letters, digits, "-")`);
  }
  return raw;
}

/** `name=role` pairs; a name may itself hold `=` (the last one separates), but no comma. */
function roleMap(raw: string | undefined): Record<string, Role> | undefined {
  if (raw === undefined) return undefined;
  const map: Record<string, Role> = {};
  for (const pair of list(raw)) {
    const at = pair.lastIndexOf('=');
    const name = pair.slice(0, at).trim();
    const role = pair.slice(at + 1).trim();
    if (at <= 0 || name === '' || !(Roles as readonly string[]).includes(role)) {
      throw new AuthSettingsError(`PARLEY_AUTH_ROLE_MAP: "${pair}" must be <name>=<role> with a role among ${Roles.join(', ')}`);
    }
    map[name] = role as Role;
  }
  return map;
}

function algorithmList(raw: string | undefined): AsymmetricAlgorithm[] {
  if (raw === undefined) return [...authDefaults.algorithms];
  const algorithms = list(raw);
  const refused = algorithms.filter((a) => !(AsymmetricAlgorithms as readonly string[]).includes(a));
  if (refused.length > 0 || algorithms.length === 0) {
    throw new AuthSettingsError(
      `PARLEY_AUTH_ALGORITHMS: ${refused.join(', ') || '(empty)'} not allowed; public-key modes accept ${AsymmetricAlgorithms.join(', ')} (HS256 is the local mode)`,
    );
  }
  return algorithms as AsymmetricAlgorithm[];
}

function httpUrl(name: string, raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new AuthSettingsError(`${name}=${raw} is not a URL`, { cause: err });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AuthSettingsError(`${name}=${raw} must be an https:// URL`);
}
