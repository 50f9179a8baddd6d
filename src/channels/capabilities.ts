import type { ChannelType } from '../contract/index.ts';

/** Rich content a Channel may switch off (`spec.richContent.disabled`): it then goes out as text. */
export const RichContentKinds = ['quickReplies', 'buttons', 'card', 'carousel', 'location', 'listPicker', 'timePicker', 'richLink', 'form'] as const;
export type RichContentKind = (typeof RichContentKinds)[number];

/**
 * What a channel type renders natively. `null` means "not at all": that content goes out
 * as the deterministic text fallback (rich-fallback.ts). Limits come from the providers'
 * docs (../shared/reference/channels-and-campaigns.md, and the send API references cited
 * in docs/channels.md); a provider refuses a request over them, so we never send one.
 */
export interface Capabilities {
  /** Longest text of one provider message (UTF-16 units); longer text is split. */
  readonly maxTextLength: number;
  readonly quickReplies: { readonly max: number; readonly titleMax: number } | null;
  /** Postback buttons; `links` says whether a button may also open a URL. */
  readonly buttons: { readonly max: number; readonly titleMax: number; readonly textMax: number; readonly links: boolean } | null;
  /** A list picker (`listPicker`), also used for quick replies beyond `quickReplies.max` (WhatsApp's list message). */
  readonly list: { readonly maxRows: number; readonly titleMax: number } | null;
  readonly card: { readonly titleMax: number; readonly maxButtons: number } | null;
  readonly carousel: { readonly maxCards: number; readonly maxButtonsPerCard: number } | null;
  readonly location: boolean;
  /** Time slots to pick from (`timePicker`). */
  readonly timePicker: boolean;
  /** A link shown as a preview card (`richLink`); elsewhere the link goes as text, which many apps preview. */
  readonly richLink: boolean;
  /** A form answered in place (`form`); elsewhere its questions go as text. */
  readonly form: boolean;
  /** Files sent natively; otherwise their links go inline in the text. */
  readonly attachments: boolean;
}

const none = { quickReplies: null, buttons: null, list: null, card: null, carousel: null, location: false, timePicker: false, richLink: false, form: false } as const;
/** What the contract allows: for channels that receive the canonical content as it is. */
const anyList = { maxRows: 1000, titleMax: 100 } as const;

const table: Record<ChannelType, Capabilities> = {
  // developers.facebook.com/docs/whatsapp/guides/interactive-messages: ≤3 reply buttons
  // (title ≤20), list ≤10 rows (title ≤24), body ≤1,024 in interactive messages.
  whatsapp: {
    maxTextLength: 4096,
    quickReplies: { max: 3, titleMax: 20 },
    buttons: { max: 3, titleMax: 20, textMax: 1024, links: false },
    list: { maxRows: 10, titleMax: 24 },
    card: { titleMax: 60, maxButtons: 3 },
    carousel: null,
    location: true,
    timePicker: false,
    richLink: false,
    form: false,
    attachments: true,
  },
  // Messenger send API: ≤13 quick replies (title ≤20), button template ≤3 buttons and
  // 640 characters, generic template ≤10 elements of ≤3 buttons, title ≤80.
  messenger: {
    maxTextLength: 2000,
    quickReplies: { max: 13, titleMax: 20 },
    buttons: { max: 3, titleMax: 20, textMax: 640, links: true },
    list: null,
    card: { titleMax: 80, maxButtons: 3 },
    carousel: { maxCards: 10, maxButtonsPerCard: 3 },
    location: false,
    timePicker: false,
    richLink: false,
    form: false,
    attachments: true,
  },
  // Instagram messaging: quick replies and the generic template; no button template.
  instagram: {
    maxTextLength: 1000,
    quickReplies: { max: 13, titleMax: 20 },
    buttons: null,
    list: null,
    card: { titleMax: 80, maxButtons: 3 },
    carousel: { maxCards: 10, maxButtonsPerCard: 3 },
    location: false,
    timePicker: false,
    richLink: false,
    form: false,
    attachments: true,
  },
  // X DMs: ≤20 quick-reply options (label ≤36); media must be uploaded first, so files go as links.
  x: { ...none, maxTextLength: 10000, quickReplies: { max: 20, titleMax: 36 }, attachments: false },
  // LINE: ≤13 quick replies (label ≤20), buttons template ≤4 actions (text ≤160),
  // carousel ≤10 columns of ≤3 actions, location messages.
  line: {
    maxTextLength: 5000,
    quickReplies: { max: 13, titleMax: 20 },
    buttons: { max: 4, titleMax: 20, textMax: 160, links: true },
    list: null,
    card: { titleMax: 40, maxButtons: 4 },
    carousel: { maxCards: 10, maxButtonsPerCard: 3 },
    location: true,
    timePicker: false,
    richLink: false,
    form: false,
    attachments: true,
  },
  // Apple Messages for Business: list and time pickers, 2–5 quick replies (iOS 15); files
  // are encrypted uploads, not built, so they go as links.
  apple: { ...none, maxTextLength: 10000, quickReplies: { max: 5, titleMax: 100 }, list: anyList, timePicker: true, attachments: false },
  // Twilio: 1,600 characters per message; MMS for media.
  sms: { ...none, maxTextLength: 1600, attachments: true },
  email: { ...none, maxTextLength: 65536, attachments: true },
  // Our own widget and open gateways receive the canonical content as it is.
  web: {
    maxTextLength: 65536,
    quickReplies: { max: 25, titleMax: 100 },
    buttons: { max: 10, titleMax: 100, textMax: 4096, links: true },
    list: anyList,
    card: { titleMax: 256, maxButtons: 10 },
    carousel: { maxCards: 10, maxButtonsPerCard: 10 },
    location: true,
    timePicker: true,
    richLink: true,
    form: true,
    attachments: true,
  },
  open: {
    maxTextLength: 65536,
    quickReplies: { max: 25, titleMax: 100 },
    buttons: { max: 10, titleMax: 100, textMax: 4096, links: true },
    list: anyList,
    card: { titleMax: 256, maxButtons: 10 },
    carousel: { maxCards: 10, maxButtonsPerCard: 10 },
    location: true,
    timePicker: true,
    richLink: true,
    form: true,
    attachments: true,
  },
};

/** The capabilities of a channel type, minus what the Channel resource switched off. */
export function capabilitiesOf(type: ChannelType, disabled: readonly RichContentKind[] = []): Capabilities {
  const caps = table[type];
  const off = new Set(disabled);
  return {
    ...caps,
    quickReplies: off.has('quickReplies') ? null : caps.quickReplies,
    buttons: off.has('buttons') ? null : caps.buttons,
    // A list renders quick replies too: switching quick replies off switches it off.
    list: off.has('quickReplies') || off.has('listPicker') ? null : caps.list,
    card: off.has('card') ? null : caps.card,
    carousel: off.has('carousel') ? null : caps.carousel,
    location: off.has('location') ? false : caps.location,
    timePicker: off.has('timePicker') ? false : caps.timePicker,
    richLink: off.has('richLink') ? false : caps.richLink,
    form: off.has('form') ? false : caps.form,
  };
}
