import type { Kysely } from 'kysely';
import { ActorHost, type ActorHostOptions, type HostHooks, type Ownership } from '../../src/runtime/index.ts';
import { ConfigRegistry } from '../../src/config/index.ts';
import { conversationKind } from '../../src/conversation/index.ts';
import { agentKind } from '../../src/agent/index.ts';
import { compileRouterOptions } from '../../src/router/router-options.ts';
import type { Database } from '../../src/store/index.ts';

/**
 * An actor host with Parley's kinds (conversations read `config`) and the router's
 * defaults, for tests of the host without a router around it.
 */
export function actorHost(db: Kysely<Database>, hooks: HostHooks, ownership: Ownership, options: Partial<ActorHostOptions> = {}, config = new ConfigRegistry()): ActorHost {
  const defaults = compileRouterOptions({ nc: undefined as never, db, config });
  return new ActorHost(db, hooks, ownership, [conversationKind(db, config), agentKind], {
    maxBatch: defaults.maxBatch,
    maxConcurrent: defaults.maxConcurrentCommits,
    maxBacklog: defaults.maxBacklog,
    idleMs: defaults.actorIdleMs,
    maxActors: defaults.maxActiveActors,
    ...options,
  });
}
