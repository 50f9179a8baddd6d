import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { ZodType } from 'zod';
import {
  AcceptOffer,
  AgentCommand,
  CloseConversation,
  TransferConversation,
  ConfigureAgent,
  ParleyError,
  RejectOffer,
  SendMessage,
  SetPresence,
  StartConversation,
  encode,
  subjects,
} from '../contract/index.ts';
import type { AgentCommandType, CommandResultEvent } from '../contract/index.ts';
import { inMessagingSpan, withTraceHeaders } from '../bus/index.ts';
import { HttpProblem, isErrorCode } from './http-errors.ts';
import type { GatewayMetrics } from './metrics.ts';

/**
 * What a route hands over: the command's own fields. `version`, `commandId` and
 * `issuedAt` are added here; the values are unchecked until the contract validates them.
 */
export type CommandDraft = { type: AgentCommandType; tenant: string; agentId: string } & Record<string, unknown>;

const schemaByType: Partial<Record<string, ZodType>> = {
  'agent.configure': ConfigureAgent,
  'presence.set': SetPresence,
  'offer.accept': AcceptOffer,
  'offer.reject': RejectOffer,
  'message.send': SendMessage,
  'conversation.close': CloseConversation,
  'conversation.transfer': TransferConversation,
  'conversation.start': StartConversation,
} satisfies Record<AgentCommandType, ZodType>;

type Outcome = { kind: 'result'; event: CommandResultEvent } | { kind: 'timeout' } | { kind: 'closed' };

/**
 * Sends agent commands to the router and waits for its verdict: validate against the
 * contract, subscribe to the agent's events, publish to JetStream (de-duplicated by
 * `commandId`), then wait for the matching `command.result`.
 */
export class CommandSender {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #timeoutMs: number;
  readonly #metrics: GatewayMetrics;
  readonly #pending = new Set<(outcome: Outcome) => void>();

  constructor(nc: NatsConnection, timeoutMs: number, metrics: GatewayMetrics) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#timeoutMs = timeoutMs;
    this.#metrics = metrics;
  }

  /**
   * Sends one command and resolves with it once the router reported success.
   * @throws ParleyError `invalidEnvelope` (nothing published), `unavailable` (JetStream
   *   refused it), `timeout` (no verdict in time) or the router's own error code.
   */
  async send(draft: CommandDraft): Promise<AgentCommand> {
    const candidate = { ...draft, version: 1, commandId: randomUUID(), issuedAt: new Date().toISOString() };
    const parsed = AgentCommand.safeParse(candidate);
    if (!parsed.success) {
      this.#metrics.commands.inc({ type: draft.type, outcome: 'invalid' });
      // A failed union only says "Invalid input" at the root; the schema of the command's
      // own type names the fields that are wrong.
      const issues = schemaByType[draft.type]?.safeParse(candidate).error?.issues ?? parsed.error.issues;
      const detail = issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      throw new ParleyError('invalidEnvelope', detail);
    }
    const command = parsed.data;

    let outcome = 'ok';
    try {
      const event = await this.#roundTrip(command);
      if (event.ok) return command;
      const code = event.error?.code ?? '';
      if (isErrorCode(code)) throw new ParleyError(code, event.error?.message);
      // A code outside the catalog breaks the contract: the router's fault, not the client's.
      throw new HttpProblem('internal', 'the router failed the command with an unknown code');
    } catch (err) {
      outcome = err instanceof ParleyError ? err.code : 'unknown';
      throw err;
    } finally {
      this.#metrics.commands.inc({ type: command.type, outcome });
    }
  }

  /** Ends every wait in progress (they answer `unavailable`); for the gateway's close(). */
  close(): void {
    for (const settle of this.#pending) settle({ kind: 'closed' });
  }

  async #roundTrip(command: AgentCommand): Promise<CommandResultEvent> {
    const { tenant, agentId, commandId } = command;
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));

    // Subscribe before publishing, or a fast router could answer before we listen. One
    // connection keeps protocol order, so the server has the SUB before it has the PUB.
    const sub: Subscription = this.#nc.subscribe(subjects.agentEvents(tenant, agentId), {
      callback: (err, msg) => {
        if (err) return;
        const event = parseResult(msg.data);
        if (event?.commandId === commandId) settle({ kind: 'result', event });
      },
    });
    // The budget covers the publish too: the client sees one deadline, not two.
    const timer = setTimeout(() => settle({ kind: 'timeout' }), this.#timeoutMs);
    this.#pending.add(settle);

    try {
      try {
        // The command continues the agent's trace (the offer's, or the HTTP request's) to the router.
        const subject = subjects.agentCommands(tenant, agentId);
        await inMessagingSpan({ operation: 'publish', subject, msgId: commandId }, () =>
          this.#js.publish(subject, encode(command), { msgID: commandId, timeout: this.#timeoutMs, headers: withTraceHeaders() }),
        );
      } catch (err) {
        throw new ParleyError('unavailable', 'the command stream did not accept the command', { cause: err });
      }
      const result = await outcome;
      if (result.kind === 'timeout') throw new ParleyError('timeout');
      if (result.kind === 'closed') throw new ParleyError('unavailable', 'the gateway is shutting down');
      return result.event;
    } finally {
      clearTimeout(timer);
      this.#pending.delete(settle);
      sub.unsubscribe();
    }
  }
}

function parseResult(data: Uint8Array): CommandResultEvent | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const event = value as Partial<CommandResultEvent>;
    if (event.type !== 'command.result' || typeof event.commandId !== 'string' || typeof event.ok !== 'boolean') return undefined;
    return event as CommandResultEvent;
  } catch {
    // Other publishers share the subject; a payload we cannot read is not our answer.
    return undefined;
  }
}
