/** How often a still-typing agent repeats `true` (the widget lets "typing" lapse otherwise). */
const REPEAT_MS = 3_000;
/** Keys stopped this long ago: the agent stopped typing. */
const IDLE_MS = 4_000;

/**
 * The agent's typing in one conversation as few calls as it takes: `true` on the first
 * key and again every few seconds while keys come, `false` once they stop (or at send).
 */
export class TypingSignal {
  private lastTrueAt = 0;
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly publish: (typing: boolean) => void) {}

  /** A key was typed. */
  keyed(): void {
    const now = Date.now();
    if (now - this.lastTrueAt >= REPEAT_MS) {
      this.lastTrueAt = now;
      this.publish(true);
    }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stopped(), IDLE_MS);
  }

  /** Sent, cleared or left: typing is over. */
  stopped(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (this.lastTrueAt === 0) return;
    this.lastTrueAt = 0;
    this.publish(false);
  }
}
