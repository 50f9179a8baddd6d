import type { AgentEvent, Attachment, Presence, RichContent } from '../../../src/contract/index.ts';
import type {
  AgentListView,
  CannedResponseView,
  ChannelSummaryView,
  CustomerView,
  LocalLoginView,
  NoteView,
  QueueSummaryView,
} from '../../../src/gateway/desktop-views.ts';
import type { AgentView, CommandAccepted, ConversationView, HistoryView, SentMessage } from '../../../src/gateway/views.ts';
import type { Problem } from '../../../src/gateway/http-errors.ts';

/**
 * The app's one client of the gateway (docs/agent-api.md, docs/desktop.md): every HTTP
 * call of the UI goes through here, typed with the server's own view types.
 */

/** A failed call: the problem's `type` (catalog code), or `unavailable` when the gateway cannot be reached. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** A conversation view, with the opted-out state when the gateway gives it. */
export type ConversationWithConsent = ConversationView & { optedOut?: boolean };

export interface OutgoingReply {
  text?: string;
  attachments?: Attachment[];
  content?: RichContent[];
}

export type CannedResponseInput = Pick<CannedResponseView, 'shortcut' | 'title' | 'body'> & { queue: string | null };

export class Api {
  constructor(
    private readonly token: string,
    /** Called on a 401: the token expired or was refused. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  /** The events WebSocket's URL (browsers pass the token in the query: they cannot set headers). */
  eventsUrl(agentId: string): string {
    const url = new URL(`/v1/agents/${encodeURIComponent(agentId)}/events`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('access_token', this.token);
    return url.href;
  }

  getAgent = (agentId: string) => this.call<AgentView>('GET', `/v1/agents/${enc(agentId)}`);
  setPresence = (agentId: string, presence: Presence) => this.call<CommandAccepted>('POST', `/v1/agents/${enc(agentId)}/presence`, { presence });
  acceptOffer = (agentId: string, offerId: string) => this.call<CommandAccepted>('POST', `/v1/agents/${enc(agentId)}/offers/${enc(offerId)}/accept`);
  rejectOffer = (agentId: string, offerId: string) => this.call<CommandAccepted>('POST', `/v1/agents/${enc(agentId)}/offers/${enc(offerId)}/reject`, {});
  listAgents = () => this.call<AgentListView>('GET', '/v1/agents');

  getConversation = (id: string) => this.call<ConversationWithConsent>('GET', `/v1/conversations/${enc(id)}`);
  history = (id: string) => this.call<HistoryView>('GET', `/v1/conversations/${enc(id)}/history`);
  sendMessage = (id: string, reply: OutgoingReply) => this.call<SentMessage>('POST', `/v1/conversations/${enc(id)}/messages`, reply);
  closeConversation = (id: string, wrapUpCode?: string) =>
    this.call<CommandAccepted>('POST', `/v1/conversations/${enc(id)}/close`, wrapUpCode ? { wrapUpCode } : {});
  transfer = (id: string, to: { queue: string } | { agentId: string }) => this.call<CommandAccepted>('POST', `/v1/conversations/${enc(id)}/transfer`, to);
  customer = (id: string) => this.call<CustomerView>('GET', `/v1/conversations/${enc(id)}/customer`);
  notes = (id: string) => this.call<{ notes: NoteView[] }>('GET', `/v1/conversations/${enc(id)}/notes`);
  /** Tells a web-messaging customer that the agent types (other channels ignore it). */
  typing = (id: string, typing: boolean) => this.call<{ typing: boolean }>('POST', `/v1/conversations/${enc(id)}/typing`, { typing });
  addNote = (id: string, text: string) => this.call<NoteView>('POST', `/v1/conversations/${enc(id)}/notes`, { text });

  queues = () => this.call<{ queues: QueueSummaryView[] }>('GET', '/v1/queues');
  channels = () => this.call<{ channels: ChannelSummaryView[] }>('GET', '/v1/channels');

  cannedResponses = (query: { queue?: string; q?: string } = {}) => {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1])));
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.call<{ responses: CannedResponseView[] }>('GET', `/v1/canned-responses${search}`);
  };
  createCannedResponse = (input: CannedResponseInput) => this.call<CannedResponseView>('POST', '/v1/canned-responses', input);
  replaceCannedResponse = (id: string, input: CannedResponseInput) => this.call<CannedResponseView>('PUT', `/v1/canned-responses/${enc(id)}`, input);
  deleteCannedResponse = (id: string) => this.call<{ deleted: true }>('DELETE', `/v1/canned-responses/${enc(id)}`);

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ApiError(0, 'unavailable', (err as Error).message);
    }
    if (response.ok) return (await response.json()) as T;
    const problem = (await response.json().catch(() => ({}))) as Partial<Problem>;
    if (response.status === 401) this.onUnauthorized();
    throw new ApiError(response.status, problem.type ?? 'internal', problem.detail ?? problem.title ?? response.statusText);
  }
}

/** `POST /v1/local-login` (parley up only): no token needed. */
export async function localLogin(tenant: string, sub: string, role: string): Promise<LocalLoginView> {
  const response = await fetch('/v1/local-login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, sub, role }) });
  if (response.ok) return (await response.json()) as LocalLoginView;
  const problem = (await response.json().catch(() => ({}))) as Partial<Problem>;
  throw new ApiError(response.status, problem.type ?? 'internal', problem.detail ?? problem.title ?? response.statusText);
}

export type { AgentEvent };

function enc(id: string): string {
  return encodeURIComponent(id);
}
