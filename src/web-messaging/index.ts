/** Web messaging: anonymous customer sessions over WebSocket, history, attachments, and the `web` ChannelTransport. */
export { webMessagingRoutes, WEB_PREFIX, type WebMessaging } from './routes.ts';
export { startWebMessaging, type RunningWebMessaging, type StandaloneWebMessagingOptions } from './standalone.ts';
export { resolveWebOptions, defaultAttachmentTypes, type WebMessagingDeps, type WebMessagingOptions } from './options.ts';
export { originAllowed, type WebChannelSettings } from './channel-settings.ts';
export { webTransport } from './web-transport.ts';
export { webSubjects } from './web-subjects.ts';
export { AgentTypingSignal } from './typing-relay.ts';
export { CloseCodes } from './customer-socket.ts';
export { WebProblemCodes } from './problems.ts';
export type { ClientFrame, ServerFrame, HistoryMessage, Availability } from './frames.ts';
export { webMetrics, type WebMetrics } from './web-metrics.ts';
export { tryPageRoute, TRY_PAGE_PREFIX } from './try-page.ts';
