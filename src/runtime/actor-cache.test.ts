import { setFlagsFromString } from 'node:v8';
import { runInThisContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ActorCache, actorKey } from './actor-cache.ts';

const ana = actorKey('agent', 'acme', 'ana');
const bob = actorKey('agent', 'acme', 'bob');
const state = (presence: string) => ({ tenant: 'acme', state: { value: presence, context: { presence } }, version: 1 });

/** The cache's own entries (private: what the hidden-class test inspects). */
const entriesOf = (cache: ActorCache) => (cache as unknown as { entries: Map<string, unknown> }).entries;

describe('the cache of active actors', () => {
  it('serves an entry only to a transaction fenced on the partition and epoch it was committed under', () => {
    const cache = new ActorCache({ idleMs: 60_000, maxActors: 10 });
    cache.put(ana, 3, 1, state('available'), 0);
    expect(cache.get(ana, 3, 1, 1)?.state).toEqual({ value: 'available', context: { presence: 'available' } });
    // The partition was taken and given back: a later epoch never sees the earlier one's state, and the entry is gone.
    expect(cache.get(ana, 3, 4, 2)).toBeUndefined();
    expect(cache.get(ana, 3, 1, 3)).toBeUndefined();
    cache.put(bob, 3, 1, state('away'), 4);
    expect(cache.get(bob, 5, 1, 5)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('gives back a copy of the state it was given, that a step may change without changing what it keeps', () => {
    const cache = new ActorCache({ idleMs: 60_000, maxActors: 10 });
    const given = { value: 'queued', context: { id: 'c1', skills: ['support'], target: null, language: undefined } };
    cache.put(ana, 3, 1, { tenant: 'acme', state: given, version: 2 });
    const first = cache.get(ana, 3, 1) as { state: typeof given; version: number };
    expect(JSON.stringify(first.state)).toBe(JSON.stringify(given));
    expect(first.version).toBe(2);
    first.state.context.skills.push('billing');
    given.context.skills.push('sales');
    expect((cache.get(ana, 3, 1)?.state as typeof given).context.skills).toEqual(['support']);
  });

  it('keeps every entry in one hidden class, whatever made the state it was given', () => {
    // V8's own test of two objects' hidden classes (functions compiled after the flag is set may call it).
    setFlagsFromString('--allow-natives-syntax');
    const sameClass = runInThisContext('(a, b) => %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean;
    const cache = new ActorCache({ idleMs: 60_000, maxActors: 100 });
    // States put one after the other at the clock's time, as the host puts them: an entry built with a spread got a class of its own after a few.
    const entries: unknown[] = [];
    for (let i = 0; i < 50; i++) {
      const key = actorKey('conversation', 'acme', `c${i}`);
      cache.put(key, 3, 1, { tenant: 'acme', state: {}, version: 1 });
      entries.push(entriesOf(cache).get(key));
    }
    expect(entries.filter((entry) => !sameClass(entry, entries[0]))).toEqual([]);
  });

  it('knows the partition of an actor in memory, without counting it as a use', () => {
    const cache = new ActorCache({ idleMs: 1_000, maxActors: 10 });
    cache.put(ana, 3, 1, state('available'), 0);
    expect(cache.partitionOf(ana)).toBe(3);
    expect(cache.partitionOf(bob)).toBeUndefined();
    expect(cache.passivate(1_000)).toBe(1);
    expect(cache.partitionOf(ana)).toBeUndefined();
  });

  it('counts its actors per kind and its lookups, hits and misses', () => {
    const cache = new ActorCache({ idleMs: 1_000, maxActors: 10 });
    const c1 = actorKey('conversation', 'acme', 'c1');
    cache.put(ana, 3, 1, state('available'), 0);
    cache.put(bob, 4, 1, state('away'), 0);
    cache.put(c1, 3, 1, state('queued'), 0);
    expect(Object.fromEntries(cache.sizes())).toEqual({ agent: 2, conversation: 1 });
    cache.get(ana, 3, 1, 1);
    cache.get(c1, 3, 2, 1);
    cache.get(actorKey('conversation', 'acme', 'c2'), 3, 1, 1);
    expect(Object.fromEntries(cache.lookups)).toEqual({ agent: { hits: 1, misses: 0 }, conversation: { hits: 0, misses: 2 } });
    // The entry of another epoch was dropped on the way; a partition's drop and passivation count too.
    expect(Object.fromEntries(cache.sizes())).toEqual({ agent: 2, conversation: 0 });
    cache.dropPartition(4);
    expect(cache.sizes().get('agent')).toBe(1);
    cache.passivate(10_000);
    expect(cache.sizes().get('agent')).toBe(0);
  });

  it('drops a partition’s actors, and only those', () => {
    const cache = new ActorCache({ idleMs: 60_000, maxActors: 10 });
    cache.put(ana, 3, 1, state('available'), 0);
    cache.put(bob, 4, 1, state('away'), 0);
    cache.dropPartition(3);
    expect(cache.get(ana, 3, 1, 1)).toBeUndefined();
    expect(cache.get(bob, 4, 1, 1)).toBeDefined();
  });

  it('passivates the actors idle for idleMs, and keeps the recently used ones', () => {
    const cache = new ActorCache({ idleMs: 1_000, maxActors: 10 });
    cache.put(ana, 3, 1, state('available'), 0);
    cache.put(bob, 3, 1, state('away'), 500);
    cache.get(ana, 3, 1, 900);
    expect(cache.passivate(1_600)).toBe(1);
    expect(cache.get(bob, 3, 1, 1_600)).toBeUndefined();
    expect(cache.get(ana, 3, 1, 1_600)).toBeDefined();
  });

  it('keeps at most maxActors, passivating the least recently used', () => {
    const cache = new ActorCache({ idleMs: 60_000, maxActors: 2 });
    const carl = actorKey('agent', 'acme', 'carl');
    cache.put(ana, 3, 1, state('available'), 0);
    cache.put(bob, 3, 1, state('away'), 1);
    cache.get(ana, 3, 1, 2);
    cache.put(carl, 3, 1, state('offline'), 3);
    expect(cache.size).toBe(2);
    expect(cache.get(bob, 3, 1, 4)).toBeUndefined();
    expect(cache.get(ana, 3, 1, 4)).toBeDefined();
    expect(cache.get(carl, 3, 1, 4)).toBeDefined();
  });
});
