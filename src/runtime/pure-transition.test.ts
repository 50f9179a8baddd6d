import { describe, expect, it } from 'vitest';
import { assign, initialTransition, setup, transition } from 'xstate';
import { pureInitialTransition, pureTransition } from './pure-transition.ts';

const counter = setup({
  types: { context: {} as { n: number; by: number }, events: {} as { type: 'add' } | { type: 'stop' }, input: {} as { by: number } },
  actions: { effects: (_, params: unknown[]) => void params },
}).createMachine({
  id: 'counter',
  context: ({ input }) => ({ n: 0, by: input?.by ?? 1 }),
  initial: 'counting',
  entry: [{ type: 'effects', params: ['started'] }],
  states: {
    counting: {
      on: {
        add: { actions: [assign({ n: ({ context }) => context.n + context.by }), { type: 'effects', params: ({ context }) => [`added ${context.n}`] }] },
        stop: { target: 'stopped' },
      },
    },
    stopped: { entry: [{ type: 'effects', params: ['stopped'] }] },
  },
});

const paramsOf = (actions: readonly { type: string; params?: unknown }[]) => actions.map((a) => [a.type, a.params]);

describe('the pure transition with one scope per machine', () => {
  it('gives the snapshot and actions XState’s own transition gives', () => {
    const [initial, initialActions] = pureInitialTransition(counter, { by: 5 });
    const [expected, expectedActions] = initialTransition(counter, { by: 5 });
    expect(initial.context).toEqual(expected.context);
    expect(paramsOf(initialActions)).toEqual(paramsOf(expectedActions));

    const [next, actions] = pureTransition(counter, initial, { type: 'add' });
    const [nextExpected, actionsExpected] = transition(counter, expected, { type: 'add' });
    expect(next.value).toBe(nextExpected.value);
    expect(next.context).toEqual({ n: 5, by: 5 });
    expect(paramsOf(actions)).toEqual(paramsOf(actionsExpected));
  });

  it('gives each call only its own actions, and leaves the snapshot it started from unchanged', () => {
    const [initial] = pureInitialTransition(counter, { by: 1 });
    const [once, first] = pureTransition(counter, initial, { type: 'add' });
    const [stopped, second] = pureTransition(counter, once, { type: 'stop' });
    expect(paramsOf(first)).toEqual([['effects', ['added 1']]]);
    expect(paramsOf(second)).toEqual([['effects', ['stopped']]]);
    expect(stopped.value).toBe('stopped');
    expect(once.value).toBe('counting');
    expect(initial.context.n).toBe(0);
  });
});
