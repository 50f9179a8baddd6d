import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { conversationMachine } from '../../src/conversation/machine.ts';
import { agentMachine } from '../../src/agent/machine.ts';

/**
 * The host's pure transitions share one inert scope per machine (`pureTransition`), which
 * is sound only for machines that invoke nothing (an invoked actor with a system id would
 * be registered in the shared scope's system at every step).
 */
describe('the machines the host steps', () => {
  it.each([
    ['conversation', conversationMachine],
    ['agent', agentMachine],
  ] as [string, AnyStateMachine][])('%s: no state invokes an actor', (_name, machine) => {
    const { idMap } = machine as unknown as { idMap: Map<string, { id: string; invoke: unknown[] }> };
    const invoking = [...idMap.values()].filter((node) => node.invoke.length > 0).map((node) => node.id);
    expect(invoking).toEqual([]);
  });
});
