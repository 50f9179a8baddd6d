/**
 * The agent/supervisor/integrator gateway: HTTP + WebSocket in front of the router, and
 * the typed client that speaks to it.
 */
export { startGateway } from './server.ts';
export type { Gateway } from './server.ts';
export { MAX_BODY_BYTES } from './options.ts';
export type { GatewayOptions, OidcSignInOptions, RateLimitOptions } from './options.ts';
export type { IntegrationOptions } from './integration-options.ts';
export { ParleyClient } from './client.ts';
export type { AgentProfile, OutgoingMessage, ParleyClientOptions } from './client.ts';
export { AgentEventStream, MAX_BUFFERED_EVENTS } from './event-stream.ts';
export { EventStreamClosedError, EventTimeoutError, GatewayError } from './client-errors.ts';
export { Roles, signToken } from '../auth/index.ts';
export type { Claims, Role } from '../auth/index.ts';
export { HttpOnlyCodes } from './http-errors.ts';
export type { HttpOnlyCode, Problem, ProblemCode } from './http-errors.ts';
export type {
  AgentView,
  CommandAccepted,
  ConversationView,
  HealthView,
  HistoryMessage,
  HistoryView,
  AssignmentView,
  SentMessage,
} from './views.ts';
