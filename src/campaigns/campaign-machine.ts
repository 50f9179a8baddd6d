import { assign, setup } from 'xstate';
import type { CampaignState } from './tables.ts';

/**
 * A switch from the API. `specPaused`: the resource's `spec.paused` as the caller sees it,
 * which counts as applied if none was yet (the campaign service's first look at a
 * campaign declared a moment ago must not undo the call with a value that did not change).
 */
interface Switch<T extends string> {
  type: T;
  at: string;
  specPaused?: boolean;
}

/** What moves a campaign between states: the API (start, pause, resume, stop), the resource (spec), and its runner (exhausted). */
export type CampaignEvent =
  | Switch<'start'>
  | Switch<'pause'>
  | Switch<'resume'>
  | Switch<'stop'>
  /**
   * The resource's switches as they are now. They act when they changed since last
   * applied (`specPaused`), so that the API's last word stands until someone edits the
   * resource: `stopped` stops, a change of `paused` pauses, starts or resumes.
   */
  | { type: 'spec'; at: string; paused: boolean; stopped: boolean }
  /** Every contact of the list has an attempt, and none waits for its window. */
  | { type: 'exhausted'; at: string };

export interface CampaignContext {
  tenant: string;
  /** The campaign's name: its id as an actor. */
  id: string;
  name: string;
  startedAt: string | null;
  endedAt: string | null;
  /** The resource's `spec.paused` as last applied (null: never applied). */
  specPaused: boolean | null;
}

/** The spec's transitions from a live state: where a change of `paused` to true, and to false, leads (undefined: stay). */
function specTransitions(targets: { paused?: CampaignState; unpaused?: CampaignState }) {
  return [
    { guard: 'specStops', target: 'stopped', actions: ['markEnded', 'recordSpec'] },
    { guard: 'specPauses', ...(targets.paused && { target: targets.paused }), actions: 'recordSpec' },
    { guard: 'specUnpauses', ...(targets.unpaused && { target: targets.unpaused }), actions: ['markStarted', 'recordSpec'] },
    { actions: 'recordSpec' },
  ] as const;
}

/**
 * The Campaign actor: scheduled → running ⇄ paused → completed | stopped. A runtime actor
 * kind (`campaignKind`): it lives on the owner of its partition, whose campaign runner
 * sends while it is `running`.
 */
export const campaignMachine = setup({
  types: { context: {} as CampaignContext, events: {} as CampaignEvent, input: {} as { tenant: string; name: string; specPaused?: boolean | null } },
  actions: {
    markStarted: assign({ startedAt: ({ context, event }) => context.startedAt ?? event.at }),
    markEnded: assign({ endedAt: ({ event }) => event.at }),
    recordSpec: assign({ specPaused: ({ context, event }) => (event.type === 'spec' ? event.paused : context.specPaused) }),
    adoptSpec: assign({ specPaused: ({ context, event }) => context.specPaused ?? ('specPaused' in event ? (event.specPaused ?? null) : null) }),
  },
  guards: {
    specStops: ({ event }) => event.type === 'spec' && event.stopped,
    specPauses: ({ context, event }) => event.type === 'spec' && event.paused && context.specPaused !== true,
    specUnpauses: ({ context, event }) => event.type === 'spec' && !event.paused && context.specPaused !== false,
  },
}).createMachine({
  id: 'campaign',
  initial: 'scheduled',
  context: ({ input }) => ({ tenant: input.tenant, id: input.name, name: input.name, startedAt: null, endedAt: null, specPaused: input.specPaused ?? null }),
  states: {
    scheduled: {
      on: {
        start: { target: 'running', actions: ['markStarted', 'adoptSpec'] },
        resume: { target: 'running', actions: ['markStarted', 'adoptSpec'] },
        stop: { target: 'stopped', actions: ['markEnded', 'adoptSpec'] },
        spec: specTransitions({ unpaused: 'running' }),
      },
    },
    running: {
      on: {
        pause: { target: 'paused', actions: 'adoptSpec' },
        stop: { target: 'stopped', actions: ['markEnded', 'adoptSpec'] },
        exhausted: { target: 'completed', actions: 'markEnded' },
        spec: specTransitions({ paused: 'paused' }),
      },
    },
    paused: {
      on: {
        resume: { target: 'running', actions: 'adoptSpec' },
        start: { target: 'running', actions: 'adoptSpec' },
        stop: { target: 'stopped', actions: ['markEnded', 'adoptSpec'] },
        spec: specTransitions({ unpaused: 'running' }),
      },
    },
    completed: { type: 'final' },
    stopped: { type: 'final' },
  },
});
