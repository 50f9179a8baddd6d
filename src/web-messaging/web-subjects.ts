/**
 * Core NATS subjects of web messaging (not JetStream: a frame for a socket that is not
 * open anywhere is simply not needed, the customer reads the history when it comes back).
 *
 * | subject                                              | publisher              | payload            |
 * |------------------------------------------------------|------------------------|--------------------|
 * | parley.v1.web.session.<tenant>.<channel>.<customer>  | web transport, typing  | a ServerFrame      |
 * | parley.v1.web.typing.<tenant>                        | the agent's client side| AgentTypingSignal  |
 *
 * Every channels process subscribes to the session subjects of the sockets it holds, so an
 * agent's message reaches the customer whichever process delivered it.
 */
const root = 'parley.v1.web';

export const webSubjects = {
  session: (tenant: string, channel: string, customerId: string) => `${root}.session.${tenant}.${channel}.${customerId}`,
  agentTyping: (tenant: string) => `${root}.typing.${tenant}`,
  allAgentTyping: `${root}.typing.*`,
} as const;
