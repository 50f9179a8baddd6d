import { describe, expect, it } from 'vitest';
import { classifyKeyword, DefaultKeywords, InvalidKeywordError } from './keywords.ts';

describe('classifyKeyword', () => {
  it.each([...DefaultKeywords['opt-out']])('%s is an opt-out', (word) => {
    expect(classifyKeyword(word)).toEqual({ kind: 'opt-out', keyword: word });
  });
  it.each([...DefaultKeywords['opt-in']])('%s is an opt-in', (word) => {
    expect(classifyKeyword(word)).toEqual({ kind: 'opt-in', keyword: word });
  });
  it.each([...DefaultKeywords.help])('%s is help', (word) => {
    expect(classifyKeyword(word)).toEqual({ kind: 'help', keyword: word });
  });

  it.each(['stop', 'Stop', '  STOP  ', '\tstop\n', 'sToP'])('matches %j whatever the case and surrounding space', (text) => {
    expect(classifyKeyword(text)).toEqual({ kind: 'opt-out', keyword: 'STOP' });
  });

  it.each(['please stop', 'STOP!', 'stop.', 'STOP STOP', 'stopping', 'nonstop', 'S T O P', '', '   ', null, undefined])('does not match %j (only the exact single word)', (text) => {
    expect(classifyKeyword(text)).toBeNull();
  });

  it('adds a channel’s own keywords, for other languages, to the defaults', () => {
    const french = { optOut: ['ARRET', 'arrêt'], optIn: ['DEMARRER'], help: ['AIDE'] };
    expect(classifyKeyword('Arrêt', french)).toEqual({ kind: 'opt-out', keyword: 'ARRÊT' });
    expect(classifyKeyword('arret', french)).toEqual({ kind: 'opt-out', keyword: 'ARRET' });
    expect(classifyKeyword('demarrer', french)).toEqual({ kind: 'opt-in', keyword: 'DEMARRER' });
    expect(classifyKeyword('aide', french)).toEqual({ kind: 'help', keyword: 'AIDE' });
    expect(classifyKeyword('STOP', french)?.kind).toBe('opt-out');
    // Not a keyword of a channel that did not configure it.
    expect(classifyKeyword('arret')).toBeNull();
  });

  it('matches a precomposed and a decomposed accent alike', () => {
    expect(classifyKeyword('arre\u0302t', { optOut: ['arr\u00eat'] })?.kind).toBe('opt-out');
  });

  it('lets opt-out win when a channel lists a word under two kinds', () => {
    expect(classifyKeyword('yes', { optOut: ['YES'] })).toEqual({ kind: 'opt-out', keyword: 'YES' });
    expect(classifyKeyword('stop', { optIn: ['STOP'], help: ['STOP'] })?.kind).toBe('opt-out');
  });

  it('refuses a configured keyword that is not one word', () => {
    expect(() => classifyKeyword('x', { optOut: ['opt out'] })).toThrow(InvalidKeywordError);
    expect(() => classifyKeyword('x', { help: [''] })).toThrow(InvalidKeywordError);
  });
});
