import type { ChannelType } from '../contract/index.ts';

/**
 * The files an agent may send on a channel type: the largest size and the media types.
 * Within each provider's own limits (the send API references cited in docs/channels.md);
 * where a provider takes more (WhatsApp documents up to 100 MB), we keep to what one row of
 * the database holds comfortably. Where a channel sends files as links (X, Apple) or
 * receives them as they are (web, open), our own limit applies.
 */
export interface AttachmentLimits {
  /** Bytes; a larger upload is refused with 413 `payloadTooLarge`. */
  readonly maxBytes: number;
  /** Media types (`image/png`), lower case; others are refused with 415 `unsupportedMediaType`. */
  readonly types: readonly string[];
}

const MB = 1024 * 1024;
const images = ['image/jpeg', 'image/png'] as const;
const documents = ['application/pdf', 'text/plain'] as const;
/** What the widget shows and every browser opens: our own default. */
const common: AttachmentLimits = { maxBytes: 10 * MB, types: [...images, 'image/gif', 'image/webp', ...documents] };

const table: Record<ChannelType, AttachmentLimits> = {
  // WhatsApp Cloud API media: images JPEG/PNG ≤ 5 MB (documents may be larger, images not).
  whatsapp: { maxBytes: 5 * MB, types: [...images, ...documents] },
  // Messenger send API: attachments ≤ 25 MB; we keep our own 10 MB.
  messenger: { maxBytes: 10 * MB, types: [...images, 'image/gif', ...documents] },
  // Instagram messaging: images PNG/JPEG ≤ 8 MB; no documents.
  instagram: { maxBytes: 8 * MB, types: [...images] },
  // LINE image messages: JPEG/PNG ≤ 10 MB; other files go as links.
  line: { maxBytes: 10 * MB, types: [...images, ...documents] },
  // Twilio MMS: 5 MB per message; JPEG, PNG and GIF display on every handset.
  sms: { maxBytes: 5 * MB, types: [...images, 'image/gif'] },
  email: common,
  x: common,
  apple: common,
  web: common,
  open: common,
};

export function attachmentLimitsOf(type: ChannelType): AttachmentLimits {
  return table[type];
}
