/** Channel types Parley speaks to, as in the Channel resource's `spec.type`. */
export const ChannelTypes = [
  'web',
  'whatsapp',
  'messenger',
  'instagram',
  'x',
  'line',
  'apple',
  'sms',
  'email',
  'open',
] as const;
export type ChannelType = (typeof ChannelTypes)[number];

/** Media types an agent has capacity for (utilization is counted per media type). */
export const MediaTypes = ['message', 'sms', 'email', 'webchat'] as const;
export type MediaType = (typeof MediaTypes)[number];

const mediaByChannel: Record<ChannelType, MediaType> = {
  web: 'webchat',
  whatsapp: 'message',
  messenger: 'message',
  instagram: 'message',
  x: 'message',
  line: 'message',
  apple: 'message',
  open: 'message',
  sms: 'sms',
  email: 'email',
};

/** The media type whose capacity a conversation on this channel type consumes. */
export function mediaTypeOf(channelType: ChannelType): MediaType {
  return mediaByChannel[channelType];
}
