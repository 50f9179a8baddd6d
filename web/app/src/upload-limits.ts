import { attachmentLimitsOf, type AttachmentLimits } from '../../../src/channels/attachment-limits.ts';
import { ChannelTypes, type ChannelType } from '../../../src/contract/media.ts';
import { language, t } from './i18n/index.ts';

/**
 * The files a conversation's channel takes, from the same table the gateway holds uploads
 * to (src/channels/attachment-limits.ts): shown before the agent picks a file, and checked
 * here first so that a refused file never travels (the gateway checks again).
 */
export function uploadLimitsOf(channelType: string | undefined): AttachmentLimits | undefined {
  return (ChannelTypes as readonly string[]).includes(channelType ?? '') ? attachmentLimitsOf(channelType as ChannelType) : undefined;
}

/** "5 MB", "10 Mo": the locale's unit. */
export function formatSize(bytes: number): string {
  return new Intl.NumberFormat(language(), { style: 'unit', unit: 'megabyte', unitDisplay: 'short', maximumFractionDigits: 1 }).format(bytes / (1024 * 1024));
}

/** "JPEG, PNG, PDF, TXT": the types as agents know them. */
export function formatTypes(types: readonly string[]): string {
  const names: Record<string, string> = { 'text/plain': 'TXT', 'image/jpeg': 'JPEG' };
  return types.map((type) => names[type] ?? (type.split('/')[1] ?? type).toUpperCase()).join(', ');
}

/** Why the channel would refuse this file, or undefined when it takes it. */
export function refusalOf(file: File, limits: AttachmentLimits): string | undefined {
  if (!limits.types.includes(file.type.toLowerCase())) return t('composer.fileTypeRefused', { types: formatTypes(limits.types) });
  if (file.size > limits.maxBytes) return t('composer.fileTooLarge', { max: formatSize(limits.maxBytes) });
  if (file.size === 0) return t('composer.fileEmpty');
  return undefined;
}
