import { BlockList, isIP } from 'node:net';

/**
 * Where status callbacks may go. A callback URL is the caller's choice, so without a rule
 * it could make the gateway POST to the cluster's own services (SSRF): by default only
 * `https:` URLs whose host is a name or a public address are accepted. Names are not
 * resolved here: a name that resolves to a private address is the network policy's to stop.
 */
const privateRanges = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10]] as const) privateRanges.addSubnet(net, prefix, 'ipv6');

/** Why `url` may not receive callbacks, or undefined. `allowPrivate` (tests, closed networks) lifts both rules. */
export function callbackUrlProblem(url: string, allowPrivate: boolean): string | undefined {
  if (allowPrivate) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') return 'callbackUrl must be an https:// URL';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  if (host === 'localhost' || host.endsWith('.localhost') || (family !== 0 && privateRanges.check(host, family === 4 ? 'ipv4' : 'ipv6'))) {
    return 'callbackUrl must not point to a loopback, private or link-local address';
  }
  return undefined;
}
