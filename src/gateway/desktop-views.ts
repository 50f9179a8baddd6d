import type { Presence } from '../contract/index.ts';
import type { AgentView } from './views.ts';

/** The JSON bodies of the routes the web app adds (docs/desktop.md, docs/agent-api.md §4). */

/** `GET /v1/canned-responses`: one response of the library. */
export interface CannedResponseView {
  id: string;
  /** null: for every queue of the tenant. */
  queue: string | null;
  shortcut: string;
  title: string;
  /** A Liquid template: `{{ customer.name }}`, `{{ agent.name }}`, `{{ conversation.queue }}`. */
  body: string;
  updatedBy: string;
  updatedAt: string;
}

/** `GET /v1/queues`: what the desktop needs of a queue (wrap-up codes, the service-level target). */
export interface QueueSummaryView {
  name: string;
  wrapUp: { codes: { code: string; label: string }[]; required: boolean; afterWorkMs: number };
  serviceLevel: { percentage: number; withinMs: number };
  alertingTimeoutMs: number;
}

/** `GET /v1/channels`: a channel's type, which decides its limits (window, reply rule, segments). */
export interface ChannelSummaryView {
  name: string;
  type: string;
  queue: string;
  /** WhatsApp: the approved templates an agent may start a conversation with (also outside the 24 h window). */
  templates?: TemplateView[];
}

/** An approved WhatsApp template: `body` with `{{1}}`… `{{parameterCount}}` where the parameters go. */
export interface TemplateView {
  name: string;
  language: string;
  label: string;
  body: string;
  parameterCount: number;
}

/** `GET /v1/agents` for an agent: who else there is (transfer targets). Staff get full {@link AgentView}s. */
export interface AgentSummaryView {
  id: string;
  name: string;
  presence: Presence;
}

export type AgentListView = { agents: AgentSummaryView[] } | { agents: AgentView[] };

/** `GET /v1/conversations/:id/customer`: who the conversation is with (the name the channel gave, if any). */
export interface CustomerView {
  id: string;
  name: string | null;
}

/** `GET /v1/conversations/:id/notes`: notes written with a wrap-up (or any time) by agents. */
export interface NoteView {
  id: string;
  author: string;
  text: string;
  createdAt: string;
}

/** `GET /v1/auth/sign-in`: how the web app signs in. */
export interface SignInView {
  /** `POST /v1/local-login` works (`parley up` in local mode). */
  localLogin: boolean;
  /** The issuer's authorization-code sign-in (PKCE, public client), when configured. */
  oidc: { issuer: string; clientId: string; scopes: string[]; redirectPath: string } | null;
}

/** `POST /v1/local-login`. */
export interface LocalLoginView {
  token: string;
  expiresAt: string;
}
