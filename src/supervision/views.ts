/**
 * The supervisor views' shapes, shared by the gateway and the web app (no runtime
 * dependencies: the browser imports this file's types).
 */

/** One queue, now and so far today: what the supervisor's queue view shows. */
export interface QueueActivity {
  queue: string;
  /** Conversations waiting in the queue now (queued, or an offer ringing). */
  waiting: number;
  /** When the longest-waiting one entered the queue (clients count the seconds), or null. */
  longestWaitingSince: string | null;
  /** Since the start of today in the view's time zone: entered the queue, answered, abandoned. */
  offered: number;
  answered: number;
  abandoned: number;
  /** Answered within the target / (answered + abandoned) × 100, today; null before any. */
  serviceLevel: number | null;
  /** The queue's `serviceLevel` target, and the threshold measured (a report wait bucket). */
  serviceLevelTarget: { percentage: number; withinSeconds: number };
  serviceLevelSeconds: number;
  /** Member agents with the queue's skills: online (not offline), available with a free slot, busy holding a conversation or offer (one agent may be both). */
  agents: { online: number; available: number; busy: number };
}

/** One row of the interactions view: a conversation, or an outbound message that never became one. */
export interface Interaction {
  /** The conversation's id; for an outbound row without a conversation, the notification's or campaign message's id. */
  id: string;
  /** `conversation`, or an agentless outbound message: `notification`, `campaign`. */
  kind: 'conversation' | 'notification' | 'campaign';
  conversationId: string;
  /** `outbound` when Parley wrote first: a conversation an agent started, a notification, a campaign message, and the conversations their replies opened. */
  direction: 'inbound' | 'outbound';
  channel: string;
  /** The queue it is (or ended) in; null for agentless messages. */
  queue: string | null;
  /** A conversation's state, or an outbound message's status. */
  status: string;
  customerId: string | null;
  customerName: string | null;
  /** The recipient of an agentless outbound message. */
  address: string | null;
  campaign: string | null;
  /** The agents who answered it, in order. */
  agents: string[];
  /** The last wrap-up code given. */
  wrapUpCode: string | null;
  startedAt: string;
  endedAt: string | null;
}

/**
 * One step of a conversation's life, as the timeline shows it. `kind`:
 *
 * - `created` (`channel`, `direction`, `startedBy: 'agent'` for one an agent started); `queued` (entered `queue`: on `arrival`, by a `transfer` from `agentId`, or
 *   an `overflow` from `fromQueue`); `answered`, `abandoned`, `parked`, `closed` — from the
 *   conversation's journey;
 * - `offer` (to `agentId`, with the routing decision `reason`: method, candidates, score;
 *   `transferredBy` `{ agentId, note? }` when a transfer brought it),
 *   then its outcome `accepted`, `rejected`, `timeout`, `rescinded`, `declined`, and
 *   `ended` (with the `wrapUpCode`) — from the assignments;
 * - `message` (`direction`, `agentId`, `text`, attachment and rich content counts, delivery);
 * - `note` (`author`, `text`) and `evaluation` (`evaluator`, `agentId`, `score`).
 */
export interface TimelineEntry {
  at: string;
  kind: string;
  [detail: string]: unknown;
}

/** The frames the stream sends. The first is always a snapshot; each later one replaces one queue's activity. */
export type SupervisorFrame =
  | { type: 'queues.snapshot'; at: string; timeZone: string; queues: QueueActivity[] }
  | { type: 'queue.activity'; at: string; queue: QueueActivity }
  | { type: 'queue.removed'; at: string; queue: string };

