import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The raw bytes of a provider fixture, exactly as a webhook would carry them. */
export function fixture(provider: string, name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${provider}/${name}`, import.meta.url));
}

export function fixtureText(provider: string, name: string): string {
  return fixture(provider, name).toString('utf8');
}

export function sign(algorithm: 'sha1' | 'sha256', key: string, data: Uint8Array | string, encoding: 'hex' | 'base64'): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

export const target = { tenant: 'demo', channel: 'support-wa', receivedAt: new Date('2026-01-13T16:02:11.000Z') };
