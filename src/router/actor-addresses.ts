import type { AgentActorEvent } from '../agent/index.ts';
import type { ConversationActorEvent } from '../conversation/index.ts';
import type { SendToActor } from '../runtime/index.ts';

/** An event for one of Parley's actors, typed by kind (the runtime knows only kinds by name). */
export type ParleyAddress =
  | { kind: 'conversation'; tenant: string; id: string; event: ConversationActorEvent }
  | { kind: 'agent'; tenant: string; id: string; event: AgentActorEvent };

/** Delivers a typed event to a conversation or an agent wherever it lives. */
export type SendToParley = SendToActor<ParleyAddress>;
