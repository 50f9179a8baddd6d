import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { campaignMachine, type CampaignEvent } from './campaign-machine.ts';
import { compileMessage, smsReport } from './message-template.ts';
import { InvalidTemplateError } from './errors.ts';

const at = '2026-12-07T14:00:00.000Z';
function run(...events: Exclude<CampaignEvent['type'], 'spec'>[]): string {
  let [snapshot] = initialTransition(campaignMachine, { tenant: 'acme', name: 'spring' });
  for (const type of events) [snapshot] = transition(campaignMachine, snapshot, { type, at });
  return String(snapshot.value);
}

describe('the Campaign actor', () => {
  it('goes scheduled → running ⇄ paused → completed | stopped, and nowhere from a final state', () => {
    expect(run()).toBe('scheduled');
    expect(run('start')).toBe('running');
    expect(run('start', 'pause')).toBe('paused');
    expect(run('start', 'pause', 'resume')).toBe('running');
    expect(run('start', 'exhausted')).toBe('completed');
    expect(run('start', 'pause', 'stop')).toBe('stopped');
    expect(run('start', 'stop', 'resume')).toBe('stopped');
    expect(run('start', 'exhausted', 'start')).toBe('completed');
    // A paused campaign does not complete: nothing is sent while paused.
    expect(run('start', 'pause', 'exhausted')).toBe('paused');
  });

  it('applies the resource\'s switches when they changed since last applied, so the API\'s last word stands meanwhile', () => {
    const spec = (paused: boolean, stopped = false) => ({ type: 'spec', at, paused, stopped }) as const;
    const [fresh] = initialTransition(campaignMachine, { tenant: 'acme', name: 'spring' });
    const after = (...events: CampaignEvent[]) => events.reduce((s, e) => transition(campaignMachine, s, e)[0], fresh);
    // First look: not paused starts it; paused keeps it scheduled, recorded as applied.
    expect(after(spec(false)).value).toBe('running');
    expect(after(spec(true))).toMatchObject({ value: 'scheduled', context: { specPaused: true } });
    // Paused by the API: the same switches again do not resume it.
    expect(after(spec(false), { type: 'pause', at }, spec(false)).value).toBe('paused');
    // Switched in the resource: they do.
    expect(after(spec(false), { type: 'pause', at }, spec(true), spec(false)).value).toBe('running');
    expect(after(spec(false), spec(true)).value).toBe('paused');
    expect(after(spec(false), spec(false, true))).toMatchObject({ value: 'stopped', context: { endedAt: at } });
    expect(after(spec(false), { type: 'exhausted', at }, spec(true, true)).value).toBe('completed');
    // Started from the API before the service's first look: the resource's paused, as the API saw it, counts as applied.
    const started = after({ type: 'start', at, specPaused: true });
    expect(started.context.specPaused).toBe(true);
    expect(transition(campaignMachine, started, spec(true))[0].value).toBe('running');
    expect(after(spec(false), { type: 'pause', at, specPaused: true }).context.specPaused).toBe(false);
  });
});

describe('campaign messages', () => {
  it('renders contact columns with fallbacks, and refuses a variable the list lacks, naming it', () => {
    const m = compileMessage({ template: 'Hi {{ first_name | default: "there" }}{% if city %} in {{ city }}{% endif %}' }, ['first_name', 'city']);
    expect(m.render({ first_name: 'Ana', city: 'Lyon' })).toBe('Hi Ana in Lyon');
    expect(m.render({ first_name: null, city: null })).toBe('Hi there');
    expect(() => compileMessage({ template: 'Hi {{ frist_name }}' }, ['first_name'])).toThrow(InvalidTemplateError);
    expect(() => compileMessage({ template: 'Hi {{ frist_name }}' }, ['first_name'])).toThrow(/"frist_name"/);
    expect(() => compileMessage({ column: 'text' }, ['first_name'])).toThrow(/"text" is not a column/);
  });

  it('counts SMS segments and warns when a link crosses the 160-character mark', () => {
    expect(smsReport('Hello')).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(smsReport('Bonjour 🙂')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    const split = smsReport(`${'x'.repeat(150)} https://example.com/offer/12345`);
    expect(split.segments).toBe(2);
    expect(split.warning).toContain('https://example.com/offer/12345');
    expect(smsReport(`${'x'.repeat(170)} https://example.com/a`).warning).toBeUndefined();
  });
});
