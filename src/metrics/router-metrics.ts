import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the actor host counts itself (`ActorHost`, `ActorCache`), read at each scrape. */
export interface ActorCounts {
  /** Actors in memory now, per kind. */
  active(): ReadonlyMap<string, number>;
  /** Cache lookups per kind since the start. */
  lookups(): ReadonlyMap<string, { hits: number; misses: number }>;
  /** Transactions that found an actor's row changed behind its in-memory copy, since the start. */
  conflicts(): number;
}

/** The router's Prometheus metrics (names follow Prometheus conventions: `_total`, `_seconds`). */
export function createRouterMetrics(registry: Registry) {
  let actors: ActorCounts | undefined;
  return {
    /** Reports the actor host's own counts from now on. */
    observeActors(counts: ActorCounts): void {
      actors = counts;
    },
    activeActors: new Gauge({
      name: 'parley_actors_active',
      help: 'Actors held in memory by this router (active in the partitions it owns), by kind.',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        for (const [kind, n] of actors?.active() ?? []) this.set({ kind }, n);
      },
    }),
    actorCacheLookups: new Counter({
      name: 'parley_actor_cache_lookups_total',
      help: 'Events for an actor that looked for it in memory, by kind and outcome: hit (stepped without reading its row) or miss (its row was read).',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
      collect() {
        // The host counts; the scrape copies its totals.
        this.reset();
        for (const [kind, { hits, misses }] of actors?.lookups() ?? []) {
          this.inc({ kind, outcome: 'hit' }, hits);
          this.inc({ kind, outcome: 'miss' }, misses);
        }
      },
    }),
    actorConflicts: new Counter({
      name: 'parley_actor_conflicts_total',
      help: 'Transactions that found an actor row changed behind its in-memory copy (retried from the row); fencing rules this out, so anything but 0 is a bug.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(actors?.conflicts() ?? 0);
      },
    }),
    inboundMessages: new Counter({
      name: 'parley_inbound_messages_total',
      help: 'Customer messages stored, by tenant and channel (duplicates excluded).',
      labelNames: ['tenant', 'channel'] as const,
      registers: [registry],
    }),
    duplicateMessages: new Counter({
      name: 'parley_inbound_duplicates_total',
      help: 'Redelivered or republished customer messages that were already stored.',
      labelNames: ['tenant', 'channel'] as const,
      registers: [registry],
    }),
    outboundMessages: new Counter({
      name: 'parley_outbound_messages_total',
      help: 'Agent messages committed for delivery (published to the outbound stream right after), by tenant and channel.',
      labelNames: ['tenant', 'channel'] as const,
      registers: [registry],
    }),
    offers: new Counter({
      name: 'parley_offers_total',
      help: 'Offers made to agents, by tenant, queue and outcome.',
      labelNames: ['tenant', 'queue', 'outcome'] as const,
      registers: [registry],
    }),
    assignments: new Counter({
      name: 'parley_assignments_total',
      help: 'Conversations assigned to an agent (offer accepted), by tenant and queue.',
      labelNames: ['tenant', 'queue'] as const,
      registers: [registry],
    }),
    offerToAccept: new Histogram({
      name: 'parley_offer_accept_seconds',
      help: 'Time from an offer to its acceptance by the agent.',
      labelNames: ['tenant', 'queue'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers: [registry],
    }),
    queueWaiting: new Gauge({
      name: 'parley_queue_waiting',
      help: 'Conversations waiting for an agent, by tenant and queue.',
      labelNames: ['tenant', 'queue'] as const,
      registers: [registry],
    }),
    queueFallbacks: new Counter({
      name: 'parley_queue_fallbacks_total',
      help: 'Conversations routed around a missing queue, by tenant, the missing queue and outcome (overflow, channel-queue, closed, unrouted).',
      labelNames: ['tenant', 'queue', 'outcome'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'parley_dead_letters_total',
      help: 'Messages moved to a dead-letter subject, by source and reason code.',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
    actorSteps: new Histogram({
      name: 'parley_actor_step_seconds',
      help: 'Time from taking one actor event to its commit, its turn in the group commit included (actor: conversation, agent, inbound-message).',
      labelNames: ['actor'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    partitionsOwned: new Gauge({
      name: 'parley_partitions_owned',
      help: 'Partitions this router owns (holds the lease of, with its epoch recorded in the store).',
      registers: [registry],
    }),
    partitionHandovers: new Counter({
      name: 'parley_partition_handovers_total',
      help: 'Partitions this router gained or gave up, by kind: gained, released (handed over), taken (by another node), expired (lease not renewed in time).',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    clusterMembers: new Gauge({
      name: 'parley_cluster_members',
      help: 'Live routers this router sees in the cluster (itself included).',
      registers: [registry],
    }),
    queuesLed: new Gauge({
      name: 'parley_queues_led',
      help: 'Queues whose scheduler runs on this router.',
      registers: [registry],
    }),
    commitBatch: new Histogram({
      name: 'parley_commit_batch_size',
      help: 'Customer messages and actor events committed per transaction (group commit).',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'parley_router_errors_total',
      help: 'Failures of the router\'s work, by operation and error code: every one, even when the log sums a burst up in one line.',
      labelNames: ['operation', 'code'] as const,
      registers: [registry],
    }),
    commitBacklog: new Gauge({
      name: 'parley_commit_backlog',
      help: 'Customer messages and actor events waiting for their transaction on this router.',
      registers: [registry],
    }),
  };
}

export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
