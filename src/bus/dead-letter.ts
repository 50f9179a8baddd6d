import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { headers, subjects, type DeadLetterSource, type ErrorCode } from '../contract/index.ts';

/**
 * Moves a message that can never be processed to `parley.v1.deadletter.<source>`, with
 * the reason in headers and the original bytes untouched, then terminates it so it is
 * not redelivered. Publishing first means a crash in between gives a duplicate dead
 * letter (de-duplicated by id), never a lost message.
 */
export async function deadLetter(
  nc: NatsConnection,
  source: DeadLetterSource,
  msg: JsMsg,
  code: ErrorCode,
  detail: string,
): Promise<void> {
  const h = natsHeaders();
  h.set(headers.deadLetterReason, code);
  // A header value ends at a line break: control characters (from a payload's keys, or
  // the database's message) must not cut it short or forge another header.
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  h.set(headers.deadLetterDetail, detail.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 1024));
  h.set(headers.originalSubject, msg.subject);
  await jetstream(nc).publish(subjects.deadLetter(source), msg.data, {
    headers: h,
    msgID: `dl:${msg.info.stream}:${msg.seq}`,
  });
  // No reason argument: `+TERM <reason>` needs nats-server 2.10.4+, and CI runs 2.9.10.
  msg.term();
}
