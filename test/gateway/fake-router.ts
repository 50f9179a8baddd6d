import { AckPolicy } from '@nats-io/jetstream';
import { AgentCommand, decode, encode, streams, subjects } from '../../src/contract/index.ts';
import type { CommandResultEvent } from '../../src/contract/index.ts';
import type { GatewayFixture } from './fixture.ts';

/** The router's verdict on a command: success, or a catalog code with a message. */
export type Verdict = { ok: true } | { ok: false; code: string; message: string };

/**
 * Plays the router's side of the command contract once: takes the next command for this
 * agent from the JetStream stream, validates it, publishes the `command.result` on the
 * agent's events subject (core NATS), acks, and returns the command for assertions.
 */
export async function answerNextCommand(
  fx: GatewayFixture,
  tenant: string,
  agentId: string,
  verdict: (command: AgentCommand) => Verdict = () => ({ ok: true }),
): Promise<AgentCommand> {
  // One durable per agent, as the router would have: acked commands are not seen again,
  // and a command published before this call is still delivered. Adding it again with the
  // same configuration is a no-op.
  const durable = `router-${tenant}-${agentId}`;
  await fx.jsm.consumers.add(streams.commands.name, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    filter_subject: subjects.agentCommands(tenant, agentId),
  });
  const consumer = await fx.jsm.jetstream().consumers.get(streams.commands.name, durable);
  const msg = await consumer.next({ expires: 10_000 });
  if (!msg) throw new Error(`no command arrived for ${tenant}/${agentId}`);

  const decoded = decode(AgentCommand, msg.data);
  if (!decoded.ok) throw new Error(`the gateway published an invalid command: ${decoded.detail}`);
  const command = decoded.value;
  if (msg.headers?.get('Nats-Msg-Id') !== command.commandId) throw new Error('Nats-Msg-Id must be the commandId');

  fx.nc.publish(subjects.agentEvents(command.tenant, command.agentId), encode(commandResultOf(command, verdict(command))));
  await msg.ackAck();
  return command;
}

/** The `command.result` a router publishes for a command, with this verdict. */
export function commandResultOf(command: AgentCommand, answer: Verdict): CommandResultEvent {
  return {
    version: 1,
    type: 'command.result',
    tenant: command.tenant,
    agentId: command.agentId,
    at: new Date().toISOString(),
    commandId: command.commandId,
    ok: answer.ok,
    ...(answer.ok ? {} : { error: { code: answer.code, message: answer.message } }),
  };
}
