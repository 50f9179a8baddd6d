import { attachmentLimitsOf, type AttachmentLimits } from '../../../src/channels/attachment-limits.ts';
import { ChannelTypes, type ChannelType } from '../../../src/contract/media.ts';
import type { MessageKey } from './i18n/en.ts';

/**
 * The files a conversation's channel takes, from the same table the gateway holds uploads
 * to (src/channels/attachment-limits.ts): shown before the agent picks a file, and checked
 * here first so that a refused file never travels (the gateway checks again). Free of the
 * DOM, so that the server's tests run it.
 */
export function uploadLimitsOf(channelType: string | undefined): AttachmentLimits | undefined {
  return (ChannelTypes as readonly string[]).includes(channelType ?? '') ? attachmentLimitsOf(channelType as ChannelType) : undefined;
}

/** "5 MB", "10 Mo": the locale's unit. */
export function formatSize(bytes: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'megabyte', unitDisplay: 'short', maximumFractionDigits: 1 }).format(bytes / (1024 * 1024));
}

/** "JPEG, PNG, PDF, TXT": the types as agents know them. */
export function formatTypes(types: readonly string[]): string {
  const names: Record<string, string> = { 'text/plain': 'TXT', 'image/jpeg': 'JPEG' };
  return types.map((type) => names[type] ?? (type.split('/')[1] ?? type).toUpperCase()).join(', ');
}

/** Why a file cannot go, as a message of the catalog and its values. */
export interface Refusal {
  key: MessageKey;
  vars: Record<string, string>;
}

/** Why the channel would refuse this file, or undefined when it takes it. */
export function refusalOf(file: { type: string; size: number }, limits: AttachmentLimits, locale: string): Refusal | undefined {
  if (!limits.types.includes(file.type.toLowerCase())) return { key: 'composer.fileTypeRefused', vars: { types: formatTypes(limits.types) } };
  if (file.size > limits.maxBytes) return { key: 'composer.fileTooLarge', vars: { max: formatSize(limits.maxBytes, locale) } };
  if (file.size === 0) return { key: 'composer.fileEmpty', vars: {} };
  return undefined;
}
