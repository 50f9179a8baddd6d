import type { AgentEvent, Attachment, Presence, RichContent } from '../../../src/contract/index.ts';
import type {
  AgentListView,
  CannedResponseView,
  ChannelSummaryView,
  CustomerView,
  LocalLoginView,
  NoteView,
  QueueSummaryView,
  SignInView,
} from '../../../src/gateway/desktop-views.ts';
import type { Claims } from '../../../src/auth/claims.ts';
import type { AgentView, CommandAccepted, ConversationView, HistoryView, SentMessage, StartedConversation } from '../../../src/gateway/views.ts';
import type { Problem } from '../../../src/gateway/http-errors.ts';
import type { EvaluationAnswers, EvaluationFormDefinition, EvaluationFormView, EvaluationView } from '../../../src/quality/index.ts';
import type { Interaction, QueueActivity, TimelineEntry } from '../../../src/supervision/views.ts';

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

/** `POST /v1/conversations`: `to` (an address) or `customerId`, exactly one. */
/** The first message of a new conversation: text, or (WhatsApp) an approved template with its parameters. */
export type NewConversationFirst = { text: string } | { template: { name: string; language: string; parameters: string[] } };
export type NewConversation = { channel: string } & NewConversationFirst & ({ to: { id: string; idType: 'phone' | 'email' | 'opaque' } } | { customerId: string });

export type CannedResponseInput = Pick<CannedResponseView, 'shortcut' | 'title' | 'body'> & { queue: string | null };

/** The historical reports of docs/reports.md. */
export const ReportKinds = ['queues', 'agents', 'wrap-up', 'skills', 'campaigns'] as const;
export type ReportKind = (typeof ReportKinds)[number];
export interface ReportRequest {
  from: string;
  to: string;
  granularity: '15m' | 'hour' | 'day' | 'total';
  timeZone: string;
  format?: 'json' | 'csv';
}
export interface ReportView {
  report: string;
  from: string;
  to: string;
  granularity: string;
  timeZone: string;
  rows: Record<string, string | number | null | Record<string, number>>[];
}

/** Campaign results cover each campaign's whole run: no period. */
function reportParams(kind: ReportKind, query: ReportRequest): string {
  return new URLSearchParams(kind === 'campaigns' ? (query.format ? { format: query.format } : {}) : Object.entries(query)).toString();
}

/** The interactions view's filters (docs/agent-api.md, interaction filters); empty ones are left out. */
export interface InteractionFilters {
  from?: string;
  to?: string;
  channel?: string;
  queue?: string;
  agent?: string;
  wrapUpCode?: string;
  campaign?: string;
  direction?: string;
  customer?: string;
  /** The zone of the CSV's local times and file name. */
  timeZone?: string;
}

export class Api {
  private readonly currentToken: () => string;

  constructor(
    /** The bearer token, or where to read the current one (a renewed token replaces it, the client stays). */
    token: string | (() => string),
    /** Called on a 401: the token expired or was refused. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {
    this.currentToken = typeof token === 'string' ? () => token : token;
  }

  private get token(): string {
    return this.currentToken();
  }

  /** The caller as the gateway reads the token (its claim mapping applied). */
  me = () => this.call<Claims>('GET', '/v1/auth/me');

  /** The events WebSocket's URL (browsers pass the token in the query: they cannot set headers). */
  eventsUrl(agentId: string): string {
    const url = new URL(`/v1/agents/${encodeURIComponent(agentId)}/events`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('access_token', this.token);
    return url.href;
  }

  /** The tenant-wide supervisor stream's URL: the queues' activity, or the agents' board. */
  supervisorEventsUrl(timeZone: string, include: 'queues' | 'agents' = 'queues'): string {
    const url = new URL('/v1/supervisor/events', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('timeZone', timeZone);
    url.searchParams.set('include', include);
    url.searchParams.set('access_token', this.token);
    return url.href;
  }

  queueActivity = (timeZone: string) => this.call<{ at: string; timeZone: string; queues: QueueActivity[] }>('GET', `/v1/queues/activity?${new URLSearchParams({ timeZone }).toString()}`);
  interactions = (filters: InteractionFilters, cursor?: string) =>
    this.call<{ interactions: Interaction[]; nextCursor: string | null }>('GET', `/v1/interactions?${query({ ...filters, limit: '50', ...(cursor && { cursor }) })}`);
  timeline = (conversationId: string) => this.call<{ conversation: ConversationView; entries: TimelineEntry[] }>('GET', `/v1/interactions/${enc(conversationId)}/timeline`);

  /** Every row the filters match, as the gateway's CSV file. */
  interactionsCsv = (filters: InteractionFilters) => this.download(`/v1/interactions?${query({ ...filters, format: 'csv' })}`);

  getAgent = (agentId: string) => this.call<AgentView>('GET', `/v1/agents/${enc(agentId)}`);
  setPresence = (agentId: string, presence: Presence) => this.call<CommandAccepted>('POST', `/v1/agents/${enc(agentId)}/presence`, { presence });
  acceptOffer = (agentId: string, offerId: string) => this.call<CommandAccepted>('POST', `/v1/agents/${enc(agentId)}/offers/${enc(offerId)}/accept`);
  rejectOffer = (agentId: string, offerId: string) => this.call<CommandAccepted>('POST', `/v1/agents/${enc(agentId)}/offers/${enc(offerId)}/reject`, {});
  listAgents = () => this.call<AgentListView>('GET', '/v1/agents');

  /** Starts a conversation with a customer (outbound): to an address on the channel, or to a known customer. */
  startConversation = (start: NewConversation) => this.call<StartedConversation>('POST', '/v1/conversations', start);
  getConversation = (id: string) => this.call<ConversationWithConsent>('GET', `/v1/conversations/${enc(id)}`);
  history = (id: string) => this.call<HistoryView>('GET', `/v1/conversations/${enc(id)}/history`);
  sendMessage = (id: string, reply: OutgoingReply) => this.call<SentMessage>('POST', `/v1/conversations/${enc(id)}/messages`, reply);
  closeConversation = (id: string, wrapUpCode?: string) =>
    this.call<CommandAccepted>('POST', `/v1/conversations/${enc(id)}/close`, wrapUpCode ? { wrapUpCode } : {});
  transfer = (id: string, to: { queue: string } | { agentId: string }, note?: string) => this.call<CommandAccepted>('POST', `/v1/conversations/${enc(id)}/transfer`, { ...to, ...(note && { note }) });
  customer = (id: string) => this.call<CustomerView>('GET', `/v1/conversations/${enc(id)}/customer`);
  notes = (id: string) => this.call<{ notes: NoteView[] }>('GET', `/v1/conversations/${enc(id)}/notes`);
  /** Tells a web-messaging customer that the agent types (other channels ignore it). */
  typing = (id: string, typing: boolean) => this.call<{ typing: boolean }>('POST', `/v1/conversations/${enc(id)}/typing`, { typing });
  addNote = (id: string, text: string) => this.call<NoteView>('POST', `/v1/conversations/${enc(id)}/notes`, { text });

  /**
   * Uploads a file to send in a reply of this conversation (its bytes as the body), reporting
   * the share sent so far: XMLHttpRequest, because fetch reports no upload progress.
   */
  uploadAttachment = (id: string, file: File, onProgress: (fraction: number) => void): Promise<Attachment> =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/v1/conversations/${enc(id)}/attachments?${new URLSearchParams({ filename: file.name }).toString()}`);
      xhr.setRequestHeader('authorization', `Bearer ${this.token}`);
      xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
      xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
      xhr.onerror = () => reject(new ApiError(0, 'unavailable', 'the gateway cannot be reached'));
      xhr.onload = () => {
        const body = JSON.parse(xhr.responseText || '{}') as Attachment & Partial<Problem>;
        if (xhr.status === 201) return resolve(body);
        if (xhr.status === 401) this.onUnauthorized();
        reject(new ApiError(xhr.status, body.type ?? 'internal', body.detail ?? body.title ?? xhr.statusText));
      };
      xhr.send(file);
    });

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

  report = (kind: ReportKind, query: ReportRequest) => this.call<ReportView>('GET', `/v1/reports/${kind}?${reportParams(kind, query)}`);
  /** The same report as CSV, for a download. */
  reportCsv = (kind: ReportKind, query: ReportRequest) => this.download(`/v1/reports/${kind}?${reportParams(kind, { ...query, format: 'csv' })}`);

  evaluationForms = () => this.call<{ forms: EvaluationFormView[] }>('GET', '/v1/quality/forms');
  createEvaluationForm = (definition: EvaluationFormDefinition) => this.call<EvaluationFormView>('POST', '/v1/quality/forms', definition);
  archiveEvaluationForm = (formId: string) => this.call<{ archived: true }>('DELETE', `/v1/quality/forms/${enc(formId)}`);
  evaluate = (conversationId: string, evaluation: { formId: string; answers: EvaluationAnswers; comment?: string }) =>
    this.call<EvaluationView>('POST', `/v1/conversations/${enc(conversationId)}/evaluations`, evaluation);
  evaluations = (conversationId: string) => this.call<{ evaluations: EvaluationView[] }>('GET', `/v1/conversations/${enc(conversationId)}/evaluations`);

  /** A file of the API (a CSV export) as a Blob and its file name: downloads need the bearer token too. */
  private async download(path: string): Promise<{ blob: Blob; filename: string }> {
    const response = await this.fetch('GET', path);
    const filename = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv';
    return { blob: await response.blob(), filename };
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.fetch(method, path, body)).json()) as T;
  }

  /** The response of a successful call; a failure throws its problem as an {@link ApiError}. */
  private async fetch(method: string, path: string, body?: unknown): Promise<Response> {
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
    if (response.ok) return response;
    const problem = (await response.json().catch(() => ({}))) as Partial<Problem>;
    if (response.status === 401) this.onUnauthorized();
    throw new ApiError(response.status, problem.type ?? 'internal', problem.detail ?? problem.title ?? response.statusText);
  }
}

/** `GET /v1/auth/sign-in`: which sign-ins this gateway offers (no token needed). */
export async function signInSettings(): Promise<SignInView> {
  let response: Response;
  try {
    response = await fetch('/v1/auth/sign-in');
  } catch (err) {
    throw new ApiError(0, 'unavailable', (err as Error).message);
  }
  if (response.ok) return (await response.json()) as SignInView;
  throw new ApiError(response.status, 'internal', response.statusText);
}

/** `POST /v1/local-login` (parley up only): no token needed. */
export async function localLogin(tenant: string, sub: string, role: string): Promise<LocalLoginView> {
  const response = await fetch('/v1/local-login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, sub, role }) });
  if (response.ok) return (await response.json()) as LocalLoginView;
  const problem = (await response.json().catch(() => ({}))) as Partial<Problem>;
  throw new ApiError(response.status, problem.type ?? 'internal', problem.detail ?? problem.title ?? response.statusText);
}

export type { AgentEvent };

function query(params: Record<string, string | undefined>): string {
  return new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => Boolean(e[1]))).toString();
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
