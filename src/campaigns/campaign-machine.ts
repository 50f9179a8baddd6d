import { assign, setup } from 'xstate';
import type { CampaignState } from './tables.ts';

/** What moves a campaign between states: the API or the resource (start, pause, resume, stop), and its runner (exhausted). */
export type CampaignEvent =
  | { type: 'start'; at: string }
  | { type: 'pause'; at: string }
  | { type: 'resume'; at: string }
  | { type: 'stop'; at: string }
  /** Every contact of the list has an attempt, and none waits for its window. */
  | { type: 'exhausted'; at: string };

export interface CampaignContext {
  tenant: string;
  name: string;
  startedAt: string | null;
  endedAt: string | null;
}

/**
 * The Campaign actor: scheduled → running ⇄ paused → completed | stopped. Pure: the
 * runner loads the stored snapshot, applies an event with `transition`, stores the
 * result, and only then acts on the new state (sends while `running`).
 */
export const campaignMachine = setup({
  types: { context: {} as CampaignContext, events: {} as CampaignEvent, input: {} as { tenant: string; name: string } },
  actions: {
    markStarted: assign({ startedAt: ({ context, event }) => context.startedAt ?? event.at }),
    markEnded: assign({ endedAt: ({ event }) => event.at }),
  },
}).createMachine({
  id: 'campaign',
  initial: 'scheduled',
  context: ({ input }) => ({ tenant: input.tenant, name: input.name, startedAt: null, endedAt: null }),
  states: {
    scheduled: { on: { start: { target: 'running', actions: 'markStarted' }, resume: { target: 'running', actions: 'markStarted' }, stop: { target: 'stopped', actions: 'markEnded' } } },
    running: { on: { pause: 'paused', stop: { target: 'stopped', actions: 'markEnded' }, exhausted: { target: 'completed', actions: 'markEnded' } } },
    paused: { on: { resume: 'running', start: 'running', stop: { target: 'stopped', actions: 'markEnded' } } },
    completed: { type: 'final' },
    stopped: { type: 'final' },
  },
});

/** The state a snapshot is in, as stored in `campaign_runs.state`. */
export function stateOf(value: unknown): CampaignState {
  return value as CampaignState;
}
