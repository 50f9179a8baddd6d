import { createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';
import { AuthSettingsError } from './auth-settings.ts';

/**
 * Reads the public keys of `keys` mode into one JWK set. Each key has a `kid`: a JWK
 * carries its own, a PEM file's `kid` is its file name without `.pem` (so a folder
 * mounted from a Kubernetes Secret with `2026-12.pem` and `2027-06.pem` holds both keys
 * of a rotation). Read once at start: changing keys means restarting the gateways.
 * @throws AuthSettingsError naming the file when a key is unreadable, private, symmetric, a short RSA key, without `kid` or a duplicate.
 */
export function loadKeySet(paths: readonly string[]): JSONWebKeySet {
  const keys: JWK[] = [];
  const seen = new Map<string, string>();
  for (const file of paths.flatMap(expand)) {
    for (const key of readKeys(file)) {
      const kid = key.kid as string;
      // jose refuses such keys at verification time; saying so at start is kinder.
      if (key.kty === 'RSA' && Buffer.from(key.n ?? '', 'base64url').length * 8 < 2048) {
        throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${file} (kid "${kid}") is an RSA key shorter than 2048 bits`);
      }
      const other = seen.get(kid);
      if (other !== undefined) throw new AuthSettingsError(`PARLEY_AUTH_KEYS: kid "${kid}" is in both ${other} and ${file}`);
      seen.set(kid, file);
      keys.push(key);
    }
  }
  if (keys.length === 0) throw new AuthSettingsError(`PARLEY_AUTH_KEYS=${paths.join(',')} holds no .pem or .json key`);
  return { keys };
}

/** A folder stands for its .pem and .json files; hidden entries (a Secret volume's `..data`) are not keys. */
function expand(path: string): string[] {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (err) {
    throw new AuthSettingsError(`PARLEY_AUTH_KEYS: cannot read ${path}`, { cause: err });
  }
  if (!isFolder) return [path];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.') && ['.pem', '.json'].includes(extname(name)))
    .sort()
    .map((name) => join(path, name));
}

function readKeys(file: string): JWK[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuthSettingsError(`PARLEY_AUTH_KEYS: cannot read ${file}`, { cause: err });
  }
  if (extname(file) === '.pem') return [pemKey(file, text)];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${file} is not JSON (a JWK or a JWK set)`, { cause: err });
  }
  const keys = isRecord(json) && Array.isArray(json.keys) ? (json.keys as unknown[]) : [json];
  return keys.map((key, i) => publicJwk(`${file}${keys.length > 1 ? ` key ${i}` : ''}`, key));
}

function pemKey(file: string, text: string): JWK {
  // createPublicKey would quietly derive the public half of a private key: refuse instead,
  // the gateway has no business holding a signing key.
  if (text.includes('PRIVATE KEY')) throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${file} is a private key; give the gateway the public key only`);
  let jwk: JWK;
  try {
    jwk = createPublicKey(text).export({ format: 'jwk' });
  } catch (err) {
    throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${file} is not a PEM public key`, { cause: err });
  }
  return { ...jwk, kid: basename(file, '.pem'), use: 'sig' };
}

function publicJwk(where: string, key: unknown): JWK {
  if (!isRecord(key) || typeof key.kty !== 'string') throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${where} is not a JWK`);
  if (key.kty === 'oct') throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${where} is a symmetric key; shared secrets belong to PARLEY_AUTH_MODE=local`);
  if ('d' in key) throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${where} is a private key; give the gateway the public key only`);
  if (typeof key.kid !== 'string' || key.kid === '') throw new AuthSettingsError(`PARLEY_AUTH_KEYS: ${where} has no "kid"`);
  return key;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
