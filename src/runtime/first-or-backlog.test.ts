import { describe, expect, it } from 'vitest';
import { FirstOrBacklog } from './first-or-backlog.ts';

describe('FirstOrBacklog', () => {
  it('puts a new key first, keeps its next work behind it while it waits, and sends what follows to the backlog', () => {
    const lanes = new FirstOrBacklog();
    expect(lanes.enter('a')).toBe('first');
    // Its first message still waits: the second goes behind it, in the same lane.
    expect(lanes.enter('a')).toBe('first');
    lanes.leave('a', 'first');
    lanes.leave('a', 'first');
    expect(lanes.enter('a')).toBe('backlog');
    expect(lanes.enter('b')).toBe('first');
  });

  it('keeps a key in the backlog while it has work waiting there', () => {
    const lanes = new FirstOrBacklog();
    lanes.enter('a');
    lanes.leave('a', 'first');
    expect(lanes.enter('a')).toBe('backlog');
    expect(lanes.enter('a')).toBe('backlog');
    lanes.leave('a', 'backlog');
    expect(lanes.enter('a')).toBe('backlog');
  });
});
