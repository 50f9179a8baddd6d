import type { Attachment, MediaType, Presence, RichContent } from '../contract/index.ts';
import { GatewayError, errorFromProblem } from './client-errors.ts';
import { AgentEventStream } from './event-stream.ts';
import type { AgentView, AssignmentView, CommandAccepted, ConversationView, HistoryView, SentMessage } from './views.ts';

export interface ParleyClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** A token from `signToken` (or your identity provider's equivalent). */
  token: string;
}

/** `configureAgent`'s profile. */
export interface AgentProfile {
  name: string;
  skills: string[];
  /** Conversations at once per media type (0–25); missing types count as 0. */
  capacity: Partial<Record<MediaType, number>>;
  /** Proficiency 1–5 per skill (3 when not given). */
  proficiency?: Record<string, number>;
  languages?: string[];
  labels?: Record<string, string>;
  /** While busy on the key media type, the listed ones may still be offered. */
  interruptibleBy?: Partial<Record<MediaType, MediaType[]>>;
  autoAccept?: boolean;
  awayAfterMissedOffers?: number;
}

/** What an agent sends: at least one of text, attachments or rich content. */
export interface OutgoingMessage {
  text?: string;
  attachments?: Attachment[];
  content?: RichContent[];
}

/**
 * A typed client for the Parley gateway, for agent desktops, supervisor tools and tests.
 * Every failed call throws a {@link GatewayError} with the problem's status and code.
 */
export class ParleyClient {
  readonly #baseUrl: string;
  readonly #token: string;

  constructor(options: ParleyClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
  }

  /** Creates or updates an agent's profile (admin only). */
  configureAgent(agentId: string, profile: AgentProfile): Promise<CommandAccepted> {
    return this.#call('PUT', `/v1/agents/${seg(agentId)}`, profile);
  }

  setPresence(agentId: string, presence: Presence): Promise<CommandAccepted> {
    return this.#call('POST', `/v1/agents/${seg(agentId)}/presence`, { presence });
  }

  getAgent(agentId: string): Promise<AgentView> {
    return this.#call('GET', `/v1/agents/${seg(agentId)}`);
  }

  acceptOffer(agentId: string, offerId: string): Promise<CommandAccepted> {
    return this.#call('POST', `/v1/agents/${seg(agentId)}/offers/${seg(offerId)}/accept`);
  }

  rejectOffer(agentId: string, offerId: string, reason?: string): Promise<CommandAccepted> {
    return this.#call('POST', `/v1/agents/${seg(agentId)}/offers/${seg(offerId)}/reject`, reason === undefined ? {} : { reason });
  }

  getConversation(id: string): Promise<ConversationView> {
    return this.#call('GET', `/v1/conversations/${seg(id)}`);
  }

  /** Every message of the conversation's customer, on every channel, oldest first. */
  history(conversationId: string): Promise<HistoryView> {
    return this.#call('GET', `/v1/conversations/${seg(conversationId)}/history`);
  }

  /** Sends a reply as the token's agent; resolves with the id the message is stored under. */
  sendMessage(conversationId: string, message: OutgoingMessage): Promise<SentMessage> {
    return this.#call('POST', `/v1/conversations/${seg(conversationId)}/messages`, message);
  }

  /** Every offer of the conversation, with why each agent was chosen. */
  assignments(conversationId: string): Promise<{ assignments: AssignmentView[] }> {
    return this.#call('GET', `/v1/conversations/${seg(conversationId)}/assignments`);
  }

  /** Ends the agent's interaction; `wrapUpCode` when the queue asks for one. */
  closeConversation(id: string, wrapUpCode?: string): Promise<CommandAccepted> {
    return this.#call('POST', `/v1/conversations/${seg(id)}/close`, wrapUpCode === undefined ? undefined : { wrapUpCode });
  }

  /** Blind transfer to a queue or to one agent, with an optional note for the next agent. */
  transferConversation(id: string, to: { queue: string } | { agentId: string }, note?: string): Promise<CommandAccepted> {
    return this.#call('POST', `/v1/conversations/${seg(id)}/transfer`, note === undefined ? to : { ...to, note });
  }

  /** Opens the agent's live event stream; await `opened` before relying on delivery. */
  events(agentId: string): AgentEventStream {
    const url = new URL(`${this.#baseUrl}/v1/agents/${seg(agentId)}/events`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return new AgentEventStream(url.toString(), this.#token);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new GatewayError(0, 'unavailable', 'the gateway could not be reached', undefined, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw errorFromProblem(res.status, text);
    return JSON.parse(text) as T;
  }
}

function seg(value: string): string {
  return encodeURIComponent(value);
}
