import { unsubscribeLinks, type UnsubscribeClaims } from '../compliance/index.ts';
import type { Settings } from './settings.ts';

/** The secret unsubscribe links are signed with: PARLEY_UNSUBSCRIBE_SECRET, else (local mode) the auth secret. */
export function unsubscribeSecretOf(settings: Settings, localSecret?: string): string | undefined {
  return settings.unsubscribeSecret ?? (settings.auth.mode === 'local' ? (localSecret ?? settings.authSecret) : undefined);
}

/**
 * What a campaign service puts on e-mails as `List-Unsubscribe`: links to the gateway's
 * public URL, which `publicUrl()` may learn late (`up` knows its port once the gateway
 * listens). Undefined when there is no secret: e-mails then go without the header.
 */
export function unsubscribeUrlOf(secret: string | undefined, publicUrl: () => string | undefined): ((claims: UnsubscribeClaims) => string | undefined) | undefined {
  if (secret === undefined) return undefined;
  let links: ((claims: UnsubscribeClaims) => string) | undefined;
  let base: string | undefined;
  return (claims) => {
    const url = publicUrl();
    if (url === undefined) return undefined;
    if (url !== base) {
      base = url;
      links = unsubscribeLinks(url, secret);
    }
    return links!(claims);
  };
}
