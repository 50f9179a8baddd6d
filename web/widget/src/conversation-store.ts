import type { Availability, HistoryMessage, ServerFrame, UploadedAttachment, WebSocketLike, WebMessagingApi } from './api.ts';

type ClientFrameOf<T extends string> = Extract<Parameters<WebSocketLike['send']>[0], { type: T }>;
type Outgoing = ClientFrameOf<'message'> | ClientFrameOf<'postback'> | ClientFrameOf<'form'>;

/** A message as the widget shows it: from the history, pushed by the server, or written here and not yet stored. */
export interface ShownMessage extends HistoryMessage {
  /** Own messages not yet acknowledged by the server. */
  pending?: 'sending' | 'waiting' | 'refused';
}

export interface WidgetState {
  messages: ShownMessage[];
  agentTyping: boolean;
  availability: Availability | undefined;
  connected: boolean;
  /** A socket was open once and is lost: the widget says it reconnects. */
  reconnecting: boolean;
  uploadFailed: boolean;
  /** Agent messages that arrived while the panel was closed. */
  unread: number;
}

/** The agent's typing indicator goes away by itself if the "stopped" signal never comes. */
const AGENT_TYPING_MS = 10_000;
/** The customer's "typing" is sent at most this often, and "stopped" after this long idle. */
const TYPING_EVERY_MS = 3_000;
const MAX_RECONNECT_MS = 30_000;
/** A message refused for a moment (rate limit, storage unavailable) is sent again after this. */
const RESEND_AFTER_MS = 5_000;

/**
 * The widget's state, driven by the session socket and resynchronized from the history
 * after every (re)connect. Messages written here stay in `pending` until the server's
 * `ack` (stored in JetStream), and are sent again with the same id after a reconnect:
 * the server stores a resent message once.
 */
export class ConversationStore {
  state: WidgetState = { messages: [], agentTyping: false, availability: undefined, connected: false, reconnecting: false, uploadFailed: false, unread: 0 };
  /** Whether the panel is open (messages arriving then are read at once). */
  visible = false;
  readonly #listeners = new Set<() => void>();
  readonly #pending = new Map<string, Outgoing>();
  #socket: WebSocketLike | undefined;
  #started = false;
  #retryMs = 1_000;
  #agentTypingTimer: ReturnType<typeof setTimeout> | undefined;
  #typingSentAt = 0;
  #typingStopTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly api: WebMessagingApi,
    private readonly language: string,
  ) {}

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Opens (or resumes) the session and its socket; idempotent. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      const { availability } = await this.api.session();
      this.#set({ availability });
      this.#connect();
    } catch {
      this.#started = false;
      this.#set({ reconnecting: true });
      setTimeout(() => void this.start(), this.#nextRetry());
    }
  }

  sendText(text: string, attachments: UploadedAttachment[] = []): void {
    const id = newId();
    const frame: Outgoing = { type: 'message', id, ...(text.trim() && { text }), ...(attachments.length > 0 && { attachments: attachments.map((a) => a.id) }) };
    this.#show({ id: `local:${id}`, clientId: id, direction: 'inbound', ...(text.trim() && { text }), ...(attachments.length > 0 && { attachments: attachments.map(({ url, contentType, filename, size }) => ({ url, contentType, size, ...(filename && { filename }) })) }), sentAt: new Date().toISOString(), pending: 'sending' });
    this.#sendTyping(false);
    this.#submit(frame);
  }

  /** A click on a quick reply or postback button. */
  postback(text: string, payload: string): void {
    const id = newId();
    this.#show({ id: `local:${id}`, clientId: id, direction: 'inbound', text, content: [{ type: 'buttonResponse', text, payload }], sentAt: new Date().toISOString(), pending: 'sending' });
    this.#submit({ type: 'postback', id, text, payload });
  }

  /** The customer's answers to an agent's form. */
  answerForm(payload: string, values: Record<string, string>): void {
    const id = newId();
    const text = Object.entries(values).map(([name, value]) => `${name}: ${value}`).join('\n');
    this.#show({ id: `local:${id}`, clientId: id, direction: 'inbound', ...(text && { text }), content: [{ type: 'formResponse', payload, values }], sentAt: new Date().toISOString(), pending: 'sending' });
    this.#submit({ type: 'form', id, payload, values });
  }

  /** The panel was opened or closed. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.state.unread > 0) this.#set({ unread: 0 });
  }

  async upload(file: File): Promise<UploadedAttachment | undefined> {
    try {
      const uploaded = await this.api.upload(file);
      this.#set({ uploadFailed: false });
      return uploaded;
    } catch {
      this.#set({ uploadFailed: true });
      return undefined;
    }
  }

  /** Called as the customer types: "typing" now and then, "stopped" after a pause. */
  typed(): void {
    const now = Date.now();
    if (now - this.#typingSentAt > TYPING_EVERY_MS) this.#sendTyping(true);
    clearTimeout(this.#typingStopTimer);
    this.#typingStopTimer = setTimeout(() => this.#sendTyping(false), TYPING_EVERY_MS * 2);
  }

  #sendTyping(typing: boolean): void {
    if (typing) this.#typingSentAt = Date.now();
    else {
      clearTimeout(this.#typingStopTimer);
      if (this.#typingSentAt === 0) return;
      this.#typingSentAt = 0;
    }
    this.#socket?.send({ type: 'typing', typing });
  }

  #submit(frame: Outgoing): void {
    this.#pending.set(frame.id, frame);
    if (!this.#socket?.send(frame)) this.#markPending(frame.id, 'waiting');
  }

  #connect(): void {
    this.#socket = this.api.connect(
      (frame) => this.#receive(frame),
      () => {
        const wasConnected = this.state.connected;
        this.#socket = undefined;
        this.#set({ connected: false, reconnecting: true, messages: this.state.messages.map((m) => (m.pending === 'sending' ? { ...m, pending: 'waiting' } : m)) });
        setTimeout(() => void this.#reconnect(), wasConnected ? 500 : this.#nextRetry());
      },
      this.language,
    );
  }

  async #reconnect(): Promise<void> {
    try {
      // The token may have expired while away: resume (which refreshes it) first.
      await this.api.session();
      this.#connect();
    } catch {
      setTimeout(() => void this.#reconnect(), this.#nextRetry());
    }
  }

  #receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        this.#retryMs = 1_000;
        this.#set({ connected: true, reconnecting: false, availability: frame.availability });
        for (const pending of this.#pending.values()) this.#socket?.send(pending);
        void this.#loadHistory();
        return;
      case 'ack':
        this.#pending.delete(frame.id);
        this.#set({ availability: frame.availability, messages: this.state.messages.map((m) => (m.clientId === frame.id ? withoutPending(m) : m)) });
        return;
      case 'error': {
        const id = frame.id;
        if (!id) return;
        if (frame.code === 'rateLimited' || frame.code === 'unavailable') {
          // Kept and sent again a little later (and after any reconnect).
          this.#markPending(id, 'waiting');
          setTimeout(() => {
            const pending = this.#pending.get(id);
            if (pending) this.#socket?.send(pending);
          }, RESEND_AFTER_MS);
        } else {
          // The server will never take this one (a bad attachment id, …): sending it again cannot help.
          this.#pending.delete(id);
          this.#markPending(id, 'refused');
        }
        return;
      }
      case 'message':
        this.#set({ agentTyping: false });
        if (this.state.messages.some((m) => m.id === frame.message.id)) return;
        this.#show(frame.message);
        if (!this.visible) this.#set({ unread: this.state.unread + 1 });
        return;
      case 'typing':
        clearTimeout(this.#agentTypingTimer);
        if (frame.typing) this.#agentTypingTimer = setTimeout(() => this.#set({ agentTyping: false }), AGENT_TYPING_MS);
        this.#set({ agentTyping: frame.typing });
        return;
    }
  }

  async #loadHistory(): Promise<void> {
    try {
      const { messages, availability } = await this.api.history();
      const storedIds = new Set(messages.map((m) => m.id));
      const storedClientIds = new Set(messages.flatMap((m) => (m.clientId ? [m.clientId] : [])));
      // What the history does not have yet: own messages in flight or just stored, agent messages pushed meanwhile.
      const extra = this.state.messages.filter((m) => !storedIds.has(m.id) && !(m.clientId && storedClientIds.has(m.clientId)));
      this.#set({ messages: [...messages, ...extra], availability });
    } catch {
      // The socket still works; the next reconnect tries again.
    }
  }

  #markPending(clientId: string, pending: 'waiting' | 'refused'): void {
    this.#set({ messages: this.state.messages.map((m) => (m.clientId === clientId && m.pending ? { ...m, pending } : m)) });
  }

  #show(message: ShownMessage): void {
    this.#set({ messages: [...this.state.messages, message] });
  }

  #set(change: Partial<WidgetState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.#listeners) listener();
  }

  #nextRetry(): number {
    const ms = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RECONNECT_MS);
    return ms;
  }
}

function withoutPending(message: ShownMessage): ShownMessage {
  const { pending: _pending, ...rest } = message;
  return rest;
}

/** A random message id (crypto.randomUUID needs a secure context; sites may be on http). */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
