import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveWebOptions, webSubjects, type ServerFrame } from '../../src/web-messaging/index.ts';
import { ClientFrame } from '../../src/web-messaging/frames.ts';

const doc = readFileSync(new URL('../../docs/channels.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## Web messaging'), doc.indexOf('## What the Channel resource needs'));

describe('docs/channels.md, Web messaging', () => {
  it('lists the options with the defaults of the code', () => {
    const start = section.indexOf('<!-- web-limits -->');
    const lines = section.slice(start).split('\n').slice(3);
    const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith('|'))).map((r) => r.split('|').map((c) => c.trim()));
    const defaults = resolveWebOptions() as unknown as Record<string, unknown>;
    expect(rows.length).toBeGreaterThan(0);
    for (const [, option, value] of rows) expect(String(defaults[option!.replaceAll('`', '')]), option).toBe(value);
  });

  it('shows every frame type of the protocol, both ways', () => {
    const clientTypes = ClientFrame.options.map((o) => o.shape.type.value).filter((t) => t !== 'auth');
    const serverTypes: ServerFrame['type'][] = ['ready', 'ack', 'error', 'message', 'typing'];
    for (const type of [...clientTypes, ...serverTypes]) expect(section).toContain(`{"type":"${type}"`);
    expect(section).toContain('{"type":"auth","token":');
  });

  it('names the subjects the code uses', () => {
    expect(section).toContain(webSubjects.session('<tenant>', '<channel>', '<customerId>'));
    expect(section).toContain(webSubjects.agentTyping('<tenant>'));
  });
});
