import { describe, expect, it } from 'vitest';
import { splitText } from './split-text.ts';
import { smsKeywordOf } from './sms-keywords.ts';

describe('splitText', () => {
  it('keeps short text whole and cuts long text at a space, never over the limit', () => {
    expect(splitText('hello world', 20)).toEqual(['hello world']);
    const parts = splitText('aaaa bbbb cccc dddd', 10);
    expect(parts).toEqual(['aaaa bbbb', 'cccc dddd']);
    expect(parts.every((p) => p.length <= 10)).toBe(true);
  });

  it('cuts a word longer than the limit without splitting a surrogate pair', () => {
    const parts = splitText(`${'a'.repeat(9)}😀b`, 10);
    expect(parts).toEqual(['a'.repeat(9), '😀b']);
  });
});

describe('SMS keywords', () => {
  it('matches only the exact word, in any case', () => {
    expect(smsKeywordOf('STOP')).toBe('stop');
    expect(smsKeywordOf(' unsubscribe ')).toBe('stop');
    expect(smsKeywordOf('Start')).toBe('start');
    expect(smsKeywordOf('help')).toBe('help');
    expect(smsKeywordOf('please stop')).toBeUndefined();
    expect(smsKeywordOf('constructor')).toBeUndefined();
  });
});
