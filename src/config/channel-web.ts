import { z } from 'zod';

/**
 * The `spec.web` block of a `web` Channel: which sites may embed the widget and what it
 * says when no agent is available. Read by the channels role at each request.
 */

/** `scheme://host[:port]`, as browsers send it in `Origin`, or `*` for any site. */
const Origin = z
  .string()
  .max(2048)
  .refine((o) => o === '*' || /^https?:\/\/[^/?#\s]+$/.test(o), 'an origin such as https://www.example.com (scheme and host, no path), or *');

const Language = z.string().regex(/^[a-z]{2,3}$/, 'a BCP 47 primary language tag such as en or fr');

export const WebChannelSpec = z.strictObject({
  /** Sites allowed to embed the widget. @default [] (only non-browser clients) */
  allowedOrigins: z.array(Origin).max(100).default([]),
  /** The message shown when no agent is available, by language. */
  offlineMessage: z.record(Language, z.string().min(1).max(1000)).optional(),
});
export type WebChannelSpec = z.infer<typeof WebChannelSpec>;

/** Field descriptions for the CRD (crd-schema.ts). */
export const webDescriptions: Record<string, string> = {
  'spec.web': 'Web messaging (type web): the sites that may embed the widget and the offline message.',
  'spec.web.allowedOrigins': 'Origins (https://www.example.com, no path) whose pages may use this channel; * allows any site. Empty: no browser page may.',
  'spec.web.offlineMessage': 'Shown by the widget when no agent of the queue is available, by language (en, fr, ...).',
};
