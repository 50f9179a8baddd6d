import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { encode, subjects, type AgentEvent, type CommandResultEvent, type MediaType, type Presence } from '../../src/contract/index.ts';

type CommandBody = Record<string, unknown> & { type: string };

/**
 * Plays an agent client at the contract level: publishes agent commands to JetStream and
 * reads the agent's events from core NATS, buffering them so none is missed.
 */
export class AgentDriver {
  private readonly sub: Subscription;
  private readonly buffer: AgentEvent[] = [];
  private waiters: { match: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void }[] = [];

  constructor(
    private readonly nc: NatsConnection,
    readonly tenant: string,
    readonly id: string,
  ) {
    this.sub = nc.subscribe(subjects.agentEvents(tenant, id), {
      callback: (_err, msg) => {
        const event = msg.json<AgentEvent>();
        const waiter = this.waiters.find((w) => w.match(event));
        if (waiter) {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(event);
        } else this.buffer.push(event);
      },
    });
  }

  /** The next event matching the predicate (including ones already received). */
  next<T extends AgentEvent['type']>(type: T, match: (e: Extract<AgentEvent, { type: T }>) => boolean = () => true, timeoutMs = 10_000): Promise<Extract<AgentEvent, { type: T }>> {
    const test = (e: AgentEvent) => e.type === type && match(e as Extract<AgentEvent, { type: T }>);
    const index = this.buffer.findIndex(test);
    if (index >= 0) return Promise.resolve(this.buffer.splice(index, 1)[0] as Extract<AgentEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`agent ${this.id}: no ${type} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (e: AgentEvent) => {
        clearTimeout(timer);
        resolve(e as Extract<AgentEvent, { type: T }>);
      };
      this.waiters.push({ match: test, resolve: done });
    });
  }

  /** Events of a type received and not yet taken. */
  pending(type: AgentEvent['type']): AgentEvent[] {
    return this.buffer.filter((e) => e.type === type);
  }

  /** Sends a command and resolves with its result. */
  async command(body: CommandBody): Promise<CommandResultEvent> {
    const commandId = randomUUID();
    const result = this.next('command.result', (e) => e.commandId === commandId);
    await this.publish({ ...body, commandId });
    return result;
  }

  async configure(skills: string[], capacity: Partial<Record<MediaType, number>>): Promise<void> {
    const r = await this.command({ type: 'agent.configure', name: `Agent ${this.id}`, skills, capacity });
    if (!r.ok) throw new Error(`configure failed: ${JSON.stringify(r.error)}`);
  }

  async presence(presence: Presence): Promise<void> {
    const r = await this.command({ type: 'presence.set', presence });
    if (!r.ok) throw new Error(`presence failed: ${JSON.stringify(r.error)}`);
  }

  /** Waits for the next offer and accepts it; resolves with the conversation id. */
  async acceptNextOffer(timeoutMs?: number): Promise<string> {
    const offer = await this.next('offer.created', () => true, timeoutMs);
    const r = await this.command({ type: 'offer.accept', offerId: offer.offerId });
    if (!r.ok) throw new Error(`accept failed: ${JSON.stringify(r.error)}`);
    return offer.conversationId;
  }

  async reply(conversationId: string, text: string): Promise<CommandResultEvent> {
    return this.command({ type: 'message.send', conversationId, text });
  }

  async close(conversationId: string): Promise<CommandResultEvent> {
    return this.command({ type: 'conversation.close', conversationId });
  }

  /**
   * Accepts every offer as it arrives, without waiting for the results (they may come
   * much later, e.g. after a router restart). Stops with `stop()`.
   */
  autoAccept(): void {
    const loop = async () => {
      while (!this.stopped) {
        const offer = await this.next('offer.created', () => true, 3_600_000).catch(() => undefined);
        if (!offer || this.stopped) return;
        await this.publish({ type: 'offer.accept', offerId: offer.offerId });
      }
    };
    void loop();
  }

  private async publish(body: CommandBody & { commandId?: string }): Promise<string> {
    const commandId = body.commandId ?? randomUUID();
    const command = { version: 1, commandId, tenant: this.tenant, agentId: this.id, issuedAt: new Date().toISOString(), ...body };
    await jetstream(this.nc).publish(subjects.agentCommands(this.tenant, this.id), encode(command), { msgID: commandId });
    return commandId;
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    this.sub.unsubscribe();
  }
}
