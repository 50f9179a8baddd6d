import { z } from 'zod';
import type { Attachment, RichContent } from '../contract/index.ts';
import { FormResponse, displayText, exactText } from '../contract/index.ts';

/**
 * The session protocol: JSON text frames on `GET /web/v1/ws`. The widget imports these
 * types (type-only), so browser and server speak the same shapes.
 */

/** A message id the browser makes (a UUID is fine); a resend with the same id is stored once. */
export const ClientMessageId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 letters, digits, "_" or "-"');

export const ClientFrame = z.discriminatedUnion('type', [
  /** First frame when the token is not in the URL. */
  z.strictObject({ type: z.literal('auth'), token: z.string().min(1).max(4096) }),
  z.strictObject({
    type: z.literal('message'),
    id: ClientMessageId,
    text: displayText({ max: 4096 }).optional(),
    /** Ids returned by `POST …/attachments`. */
    attachments: z.array(z.uuid()).max(10).optional(),
  }),
  /** A click on a quick reply or a postback button. */
  z.strictObject({ type: z.literal('postback'), id: ClientMessageId, text: displayText({ min: 1, max: 100 }), payload: exactText({ max: 1000 }) }),
  /** The answers to an agent's form: `payload` is the form's, `values` by field name. */
  z.strictObject({ type: z.literal('form'), id: ClientMessageId, payload: exactText({ max: 1000 }), values: FormResponse.shape.values }),
  z.strictObject({ type: z.literal('typing'), typing: z.boolean() }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** One message of the customer's conversation, as the widget shows it. */
export interface HistoryMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  /** Inbound only: the browser's id of the message (to match it with what it shows already). */
  clientId?: string;
  text?: string;
  attachments?: Attachment[];
  content?: RichContent[];
  sentAt: string;
}

/** Whether an agent can answer now, and the Channel's offline message by language. */
export interface Availability {
  online: boolean;
  offlineMessage?: Record<string, string>;
}

export type ServerFrame =
  | { type: 'ready'; customerId: string; availability: Availability }
  /** The message is stored in JetStream (and will be in the history): the browser may forget its copy. */
  | { type: 'ack'; id: string; availability: Availability }
  | { type: 'error'; id?: string; code: string; message: string }
  | { type: 'message'; message: HistoryMessage }
  | { type: 'typing'; typing: boolean };
