import { createHash } from 'node:crypto';

/**
 * A UUID (version 8, RFC 9562) derived from `name`: the same name always gives the same
 * id. Used for messages Parley sends in answer to another message, so that handling the
 * same inbound message twice publishes the same answer, which JetStream then drops as a
 * duplicate (`Nats-Msg-Id`).
 */
export function derivedUuid(name: string): string {
  const bytes = createHash('sha256').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
