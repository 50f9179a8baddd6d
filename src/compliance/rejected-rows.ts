/** A row of an imported file that was not loaded, and why. */
export interface RejectedRow {
  /** The file's line number (1 is the header). */
  line: number;
  reason: string;
}

/**
 * Rejected rows as an import reports them: all are counted and passed to `onRejected`, the
 * first `keep` are kept for the result, so a file of a million bad rows does not fill memory.
 */
export class RejectedRows {
  readonly rows: RejectedRow[] = [];
  count = 0;
  constructor(
    private readonly keep: number,
    private readonly onRejected?: (row: RejectedRow) => void,
  ) {}

  add(line: number, reason: string): void {
    this.count++;
    const row = { line, reason };
    if (this.rows.length < this.keep) this.rows.push(row);
    this.onRejected?.(row);
  }
}
