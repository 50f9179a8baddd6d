import type { PendingOffer } from '../../../src/agent/context.ts';
import type { AgentEvent, Presence } from '../../../src/contract/index.ts';
import type { AgentSummaryView, ChannelSummaryView, QueueSummaryView } from '../../../src/gateway/desktop-views.ts';
import type { AgentView, HistoryMessage } from '../../../src/gateway/views.ts';
import type { Api, ConversationWithConsent, OutgoingReply } from './api.ts';
import { EventsSocket } from './events-socket.ts';
import { t } from './i18n/index.ts';
import { Store } from './store.ts';

/**
 * The agent desktop's state: a view of the server's, driven by the events WebSocket and
 * resynchronized over HTTP every time the socket (re)opens, as docs/agent-api.md §7 says.
 */

export interface DeskConversation {
  id: string;
  view: ConversationWithConsent | undefined;
  /** The channel's type (whatsapp, sms…): it decides the limits shown. */
  channelType: string | undefined;
  customerName: string | undefined;
  /** The customer's whole history, every conversation and channel, oldest first. */
  messages: HistoryMessage[];
  loaded: boolean;
  unread: number;
  /** Set while after-conversation work holds the slot. */
  afterWorkUntil: string | undefined;
  /** The customer is typing now (web messaging sends it). */
  customerTyping: boolean;
}

export type Connection = 'connecting' | 'open' | 'reconnecting';

export interface DeskState {
  connection: Connection;
  /** How many times the desktop resynchronized after a lost connection. */
  resyncs: number;
  agent: AgentView | undefined;
  offers: PendingOffer[];
  conversations: DeskConversation[];
  selectedId: string | undefined;
  /** The latest announcement for screen readers (a `role=status` region reads it). */
  announcement: string;
  /** The latest alert (an offer ringing): read at once by screen readers. */
  alert: string;
  error: string | undefined;
  queues: QueueSummaryView[];
  channels: ChannelSummaryView[];
  colleagues: AgentSummaryView[];
}

export class DeskStore extends Store<DeskState> {
  private socket: EventsSocket | undefined;
  /** Customer names seen on offers, by conversation: the API gives them only there. */
  private names = new Map<string, string>();
  private wasLost = false;

  constructor(
    readonly api: Api,
    readonly agentId: string,
  ) {
    super({
      connection: 'connecting',
      resyncs: 0,
      agent: undefined,
      offers: [],
      conversations: [],
      selectedId: undefined,
      announcement: '',
      alert: '',
      error: undefined,
      queues: [],
      channels: [],
      colleagues: [],
    });
  }

  start(): void {
    this.socket = new EventsSocket({
      url: () => this.api.eventsUrl(this.agentId),
      onEvent: (event) => this.apply(event),
      onOpen: () => void this.resync(),
      onLost: () => {
        this.wasLost = true;
        this.set({ connection: 'reconnecting', announcement: t('connection.reconnecting') });
      },
    });
  }

  stop(): void {
    this.socket?.close();
  }

  /** docs/agent-api.md §7: the socket is open; now replace local state with the server's. */
  async resync(): Promise<void> {
    try {
      const [agent, queues, channels, colleagues] = await Promise.all([
        this.api.getAgent(this.agentId),
        this.api.queues().then((r) => r.queues, () => this.state.queues),
        this.api.channels().then((r) => r.channels, () => this.state.channels),
        this.api.listAgents().then((r) => r.agents as AgentSummaryView[], () => this.state.colleagues),
      ]);
      for (const offer of agent.offers) if (offer.customerName) this.names.set(offer.conversationId, offer.customerName);
      const known = new Map(this.state.conversations.map((c) => [c.id, c]));
      const conversations = agent.active.map(
        (a) =>
          ({
            ...(known.get(a.conversationId) ?? this.emptyConversation(a.conversationId)),
            afterWorkUntil: a.afterWorkUntil,
          }) satisfies DeskConversation,
      );
      const selectedId = conversations.some((c) => c.id === this.state.selectedId) ? this.state.selectedId : conversations[0]?.id;
      const resynced = this.wasLost;
      this.wasLost = false;
      this.set({
        connection: 'open',
        agent,
        offers: agent.offers.filter((o) => Date.parse(o.expiresAt) > Date.now()),
        conversations,
        selectedId,
        queues,
        channels,
        colleagues,
        error: undefined,
        resyncs: this.state.resyncs + (resynced ? 1 : 0),
        ...(resynced && { announcement: t('connection.resynced') }),
      });
      // Catch up on what was said while the socket was closed.
      await Promise.all(conversations.map((c) => this.load(c.id)));
    } catch (err) {
      this.set({ error: (err as Error).message });
    }
  }

  select(id: string): void {
    this.set({ selectedId: id, conversations: this.patch(id, { unread: 0 }) });
  }

  async setPresence(presence: Presence): Promise<void> {
    await this.run(() => this.api.setPresence(this.agentId, presence));
  }

  async accept(offerId: string): Promise<void> {
    const offer = this.state.offers.find((o) => o.offerId === offerId);
    await this.run(async () => {
      await this.api.acceptOffer(this.agentId, offerId);
      // The accept answers once the conversation is connected (the event may have come first).
      if (offer) this.adopt(offer.conversationId);
      this.set({ offers: this.state.offers.filter((o) => o.offerId !== offerId), ...(offer && { selectedId: offer.conversationId }) });
    }, () => this.dropOffer(offerId));
  }

  async reject(offerId: string): Promise<void> {
    await this.run(() => this.api.rejectOffer(this.agentId, offerId), () => undefined);
    this.dropOffer(offerId);
  }

  async send(conversationId: string, reply: OutgoingReply): Promise<void> {
    const conversation = this.state.conversations.find((c) => c.id === conversationId);
    const { messageId } = await this.api.sendMessage(conversationId, reply);
    // The agent's own replies are not echoed on the socket: shown from the answer.
    const message: HistoryMessage = {
      id: messageId,
      conversationId,
      direction: 'outbound',
      channel: conversation?.view?.channel ?? '',
      agentId: this.agentId,
      sentAt: new Date().toISOString(),
      ...reply,
    };
    this.appendMessage(conversationId, message);
    this.set({ announcement: t('composer.sent') });
  }

  /** The agent's typing, for channels that show it (web messaging); a failure only loses the hint. */
  typing(conversationId: string, typing: boolean): void {
    const conversation = this.state.conversations.find((c) => c.id === conversationId);
    if (conversation?.channelType !== 'web') return;
    this.api.typing(conversationId, typing).catch(() => undefined);
  }

  async transfer(conversationId: string, to: { queue: string } | { agentId: string }, note?: string): Promise<void> {
    await this.api.transfer(conversationId, to, note?.trim() || undefined);
    this.drop(conversationId, t('transfer.done'));
  }

  async close(conversationId: string, wrapUpCode: string | undefined, notes: string): Promise<void> {
    if (notes.trim()) await this.api.addNote(conversationId, notes.trim());
    await this.api.closeConversation(conversationId, wrapUpCode);
    this.drop(conversationId, t('wrapUp.done'));
  }

  private apply(event: AgentEvent): void {
    switch (event.type) {
      case 'offer.created': {
        // De-duplicated by offerId; a router restart announces ringing offers again.
        if (Date.parse(event.expiresAt) <= Date.now() || this.state.offers.some((o) => o.offerId === event.offerId)) return;
        const { offerId, conversationId, channel, channelType, mediaType, customerId, customerName, expiresAt, transferredBy } = event;
        if (customerName) this.names.set(conversationId, customerName);
        const offer: PendingOffer = { offerId, conversationId, channel, channelType, mediaType, customerId, customerName, queue: null, offeredAt: event.at, expiresAt, ...(transferredBy && { transferredBy }) };
        this.set({ offers: [...this.state.offers, offer], alert: t('offers.ringing', { customer: customerName ?? customerId.slice(0, 8), channel }) });
        return;
      }
      case 'offer.revoked':
        return this.dropOffer(event.offerId);
      case 'conversation.assigned':
        this.dropOffer(event.offerId);
        return this.adopt(event.conversationId);
      case 'conversation.message': {
        const selected = this.state.selectedId === event.conversationId;
        const added = this.appendMessage(event.conversationId, event.message);
        if (!added || event.message.direction !== 'inbound') return;
        const conversation = this.state.conversations.find((c) => c.id === event.conversationId);
        this.set({
          // A message ends the customer's typing.
          conversations: this.patch(event.conversationId, { customerTyping: false, ...(!selected && { unread: (conversation?.unread ?? 0) + 1 }) }),
          announcement: t('history.newMessage', { customer: conversation?.customerName ?? '', text: event.message.text ?? '' }),
        });
        return;
      }
      case 'conversation.ended':
        return this.drop(event.conversationId);
      case 'conversation.typing':
        if (this.state.conversations.some((c) => c.id === event.conversationId)) this.set({ conversations: this.patch(event.conversationId, { customerTyping: event.typing }) });
        return;
      case 'agent.state':
        if (this.state.agent) this.set({ agent: { ...this.state.agent, presence: event.presence, capacity: event.capacity } });
        return;
      default:
        return;
    }
  }

  /** A conversation now ours: listed at once, its history loaded. */
  private adopt(conversationId: string): void {
    if (!this.state.conversations.some((c) => c.id === conversationId)) {
      this.set({ conversations: [...this.state.conversations, this.emptyConversation(conversationId)] });
      if (!this.state.selectedId) this.set({ selectedId: conversationId });
    }
    void this.load(conversationId);
  }

  private async load(id: string): Promise<void> {
    try {
      const [view, history, customer] = await Promise.all([this.api.getConversation(id), this.api.history(id), this.api.customer(id)]);
      const channelType = this.state.channels.find((c) => c.name === view.channel)?.type ?? this.state.offers.find((o) => o.conversationId === id)?.channelType;
      const existing = this.state.conversations.find((c) => c.id === id);
      if (!existing) return;
      const before = new Set(existing.messages.map((m) => m.id));
      // Messages that arrived while the socket was down count as unread too.
      const missed = existing.loaded && this.state.selectedId !== id ? history.messages.filter((m) => !before.has(m.id) && m.direction === 'inbound').length : 0;
      this.set({
        conversations: this.patch(id, {
          view,
          customerName: customer.name ?? existing.customerName,
          channelType: channelType ?? existing.channelType,
          messages: history.messages,
          loaded: true,
          unread: existing.unread + missed,
        }),
      });
    } catch (err) {
      this.set({ error: (err as Error).message });
    }
  }

  private appendMessage(conversationId: string, message: HistoryMessage): boolean {
    const conversation = this.state.conversations.find((c) => c.id === conversationId);
    if (!conversation || conversation.messages.some((m) => m.id === message.id)) return false;
    this.set({ conversations: this.patch(conversationId, { messages: [...conversation.messages, message] }) });
    return true;
  }

  private drop(conversationId: string, announcement?: string): void {
    const conversations = this.state.conversations.filter((c) => c.id !== conversationId);
    const selectedId = this.state.selectedId === conversationId ? conversations[0]?.id : this.state.selectedId;
    this.set({ conversations, selectedId, ...(announcement && { announcement }) });
  }

  private dropOffer(offerId: string): void {
    if (this.state.offers.some((o) => o.offerId === offerId)) this.set({ offers: this.state.offers.filter((o) => o.offerId !== offerId) });
  }

  private emptyConversation(id: string): DeskConversation {
    return { id, view: undefined, channelType: undefined, customerName: this.names.get(id), messages: [], loaded: false, unread: 0, afterWorkUntil: undefined, customerTyping: false };
  }

  private patch(id: string, changes: Partial<DeskConversation>): DeskConversation[] {
    return this.state.conversations.map((c) => (c.id === id ? { ...c, ...changes } : c));
  }

  /** Runs a command; a failure becomes the desktop's error line (and `onError`, when given). */
  private async run(action: () => Promise<unknown>, onError?: () => void): Promise<void> {
    try {
      await action();
      this.set({ error: undefined });
    } catch (err) {
      onError?.();
      this.set({ error: t('error.generic', { reason: (err as Error).message }) });
    }
  }
}
