import { createHash } from 'node:crypto';
import { MAX_REFERENCES } from '../contract/index.ts';

/** Longest id kept: the contract's `messageId` and `references` entries (RFC 5322 sets no limit). */
const MAX_ID_LENGTH = 256;

/**
 * Parley's Message-ID of an outbound mail, `<messageId@domain>`: derived from Parley's
 * message id, so a customer's reply that names it finds the conversation again
 * (store/thread-lookup.ts reads the same form).
 */
export function ownMessageId(messageId: string, domain: string): string {
  return `<${messageId}@${domain}>`;
}

/** One id as headers carry it: `<left@right>`, angle brackets added when a sender left them out. */
export function normalizeMessageId(raw: string): string | undefined {
  const id = raw.trim();
  if (id.length === 0 || /\s/.test(id)) return undefined;
  const bracketed = id.startsWith('<') ? id : `<${id}>`;
  return bracketed.length <= MAX_ID_LENGTH ? bracketed : undefined;
}

/** The ids in a header value that may list several (`<a@x> <b@y>`). */
function idsIn(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = typeof value === 'string' ? value : value.join(' ');
  return (text.match(/<[^<>\s]+>/g) ?? (text.trim() ? [text] : [])).flatMap((id) => normalizeMessageId(id) ?? []);
}

/**
 * The messages a mail answers, newest first: In-Reply-To, then References from its end
 * (the chain's newest), without repeats, at most the contract's limit.
 */
export function referencedIds(inReplyTo: string | undefined, references: string | readonly string[] | undefined): string[] {
  const ids = [...idsIn(inReplyTo), ...idsIn(references).reverse()];
  return [...new Set(ids)].slice(0, MAX_REFERENCES);
}

/**
 * A mail's own id: its Message-ID header, or for a mail without one an id derived from
 * its bytes, so that the same mail delivered twice is still stored once.
 */
export function messageIdOf(header: string | undefined, raw: Uint8Array): string {
  const own = header ? normalizeMessageId(header) : undefined;
  return own ?? `<${createHash('sha256').update(raw).digest('hex')}@no-message-id.parley.invalid>`;
}
