import type { EmailChannelOptions } from './options.ts';

/**
 * The channel a recipient address belongs to: a channel listing the full address wins
 * over one listing its whole domain (`@acme.example`). Case-insensitive.
 */
export function channelOfRecipient(channels: readonly EmailChannelOptions[], address: string): EmailChannelOptions | undefined {
  const wanted = address.trim().toLowerCase();
  const at = wanted.lastIndexOf('@');
  if (at <= 0) return undefined;
  const domain = wanted.slice(at);
  const listed = (c: EmailChannelOptions, entry: string) => (c.addresses ?? []).some((a) => a.trim().toLowerCase() === entry);
  return channels.find((c) => listed(c, wanted)) ?? channels.find((c) => listed(c, domain));
}
