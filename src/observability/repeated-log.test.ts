import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { createLogger } from './log.ts';
import { repeatedLog } from './repeated-log.ts';

type Line = Record<string, unknown>;

describe('repeated log lines', () => {
  let lines: Line[];
  const make = () => repeatedLog(createLogger({}, { write: (line) => lines.push(JSON.parse(line) as Line) }), { intervalMs: 1_000 });
  beforeEach(() => {
    lines = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('write the first occurrence at once, then one line per interval with the count', () => {
    const log = make();
    for (let p = 0; p < 3_423; p++) log.warn('offer request failed', { err: new ParleyError('notPartitionOwner', `no responders for partition ${p % 64}`), partition: p % 64 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'offer request failed', partition: 0 });
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'offer request failed', repeated: true, count: 3_422, intervalMs: 1_000, partition: 3_422 % 64, err: { code: 'notPartitionOwner' } });
    // Still failing: one more line for the next interval.
    for (let i = 0; i < 10; i++) log.warn('offer request failed', { err: new ParleyError('notPartitionOwner') });
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ repeated: true, count: 10 });
    // A quiet interval ends the burst: the next one is written at once again.
    vi.advanceTimersByTime(5_000);
    expect(lines).toHaveLength(3);
    log.warn('offer request failed', { err: new ParleyError('notPartitionOwner') });
    expect(lines).toHaveLength(4);
    expect(lines[3]).not.toHaveProperty('repeated');
  });

  it('count different messages, levels and error codes apart', () => {
    const log = make();
    log.warn('offer request failed', { err: new ParleyError('notPartitionOwner') });
    log.warn('offer request failed', { err: new ParleyError('timeout') });
    log.error('offer request failed', { err: new ParleyError('notPartitionOwner') });
    log.warn('outbox dispatch failed', { err: new ParleyError('notPartitionOwner') });
    expect(lines).toHaveLength(4);
  });

  it('pass info and debug through, and write pending sums on flush', () => {
    const log = make();
    log.info('router started');
    log.info('router started');
    log.error('timer failed', { err: new Error('boom') });
    log.error('timer failed', { err: new Error('boom') });
    log.flush();
    expect(lines.map((l) => [l.msg, l.count])).toEqual([
      ['router started', undefined],
      ['router started', undefined],
      ['timer failed', undefined],
      ['timer failed', 1],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
