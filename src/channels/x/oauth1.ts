import { hmac } from '../signature.ts';

/** RFC 3986 percent-encoding, as OAuth 1.0a requires (encodeURIComponent leaves !'()* alone). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface OAuth1Credentials {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly token: string;
  readonly tokenSecret: string;
}

/**
 * The OAuth 1.0a `Authorization` header (RFC 5849, HMAC-SHA1) of a request. `params` are
 * the query and form parameters (a JSON body is not signed); nonce and timestamp come from
 * the caller so that the function stays pure.
 */
export function oauth1Header(
  method: string,
  url: string,
  params: Readonly<Record<string, string>>,
  credentials: OAuth1Credentials,
  nonce: string,
  timestamp: number,
): string {
  const target = new URL(url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: credentials.consumerKey,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(timestamp),
    oauth_token: credentials.token,
    oauth_version: '1.0',
  };
  const all: [string, string][] = [...target.searchParams.entries(), ...Object.entries(params), ...Object.entries(oauth)].map(([k, v]) => [encode(k), encode(v)]);
  all.sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1));
  const base = [method.toUpperCase(), encode(`${target.origin}${target.pathname}`), encode(all.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
  const signature = hmac('sha1', `${encode(credentials.consumerSecret)}&${encode(credentials.tokenSecret)}`, base, 'base64');
  const header = { ...oauth, oauth_signature: signature };
  return `OAuth ${Object.entries(header)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${encode(k)}="${encode(v)}"`)
    .join(', ')}`;
}
