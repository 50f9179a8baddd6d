import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../conversation/policy.ts';
import { ShapedJson } from './shaped-json.ts';

/** What JSON makes of a value: the reference a shaped round trip must match, keys' order included. */
const viaJson = (value: unknown) => JSON.stringify(value);

const conversation = {
  value: 'queued',
  context: {
    id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    tenant: 'acme',
    customer: { id: '+33612345678', idType: 'phone', name: undefined },
    skills: ['support', 'french'],
    language: null,
    priority: 0,
    policy: DEFAULT_POLICY,
    attributes: { orderNumber: 'A-17' },
    target: { agents: ['ana'], until: null, reason: 'last-agent' },
    declinedBy: [],
    enqueuedAt: '2026-12-06T10:00:00.000Z',
  },
};

describe('shaped JSON', () => {
  it('gives back what JSON would, keys in the same order, in a third of the text for a snapshot', () => {
    const codec = new ShapedJson();
    const text = codec.encode(conversation);
    expect(viaJson(codec.decode(text))).toBe(viaJson(conversation));
    expect(text.length).toBeLessThan(viaJson(conversation).length / 2);
    // Another value of the same shapes says none of their keys.
    const again = codec.encode({ ...conversation, value: 'offered' });
    expect(again).not.toContain('tenant');
    expect(viaJson(codec.decode(again))).toBe(viaJson({ ...conversation, value: 'offered' }));
  });

  it('drops what JSON drops and applies toJSON', () => {
    const codec = new ShapedJson();
    const value = { a: undefined, b: () => 1, c: [undefined, 1, () => 2], d: new Date(Date.UTC(2026, 11, 6)), e: NaN, f: { toJSON: () => ({ g: 1 }) }, h: { toJSON: () => undefined } };
    expect(viaJson(codec.decode(codec.encode(value)))).toBe(viaJson(value));
    expect(codec.decode(codec.encode(value))).toEqual({ c: [null, 1, null], d: '2026-12-06T00:00:00.000Z', e: null, f: { g: 1 } });
  });

  it('keeps arrays, empty ones and arrays of arrays, apart from objects', () => {
    const codec = new ShapedJson();
    for (const value of [[], [[]], [0, [0, [1]]], {}, { x: [] }, [{}, { x: 1 }, { x: [2] }], 'text', 3, null, true]) {
      expect(viaJson(codec.decode(codec.encode(value)))).toBe(viaJson(value));
    }
  });

  it('keeps a key named __proto__ as an own key, as JSON.parse does', () => {
    const codec = new ShapedJson();
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const back = codec.decode(codec.encode(value)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes objects as plain objects once its shapes are full, and still gives them back', () => {
    const codec = new ShapedJson(4);
    // Keys made of data (a bot's attributes, say): each object a new shape.
    const values = Array.from({ length: 20 }, (_, i) => ({ attributes: { [`key-${i}`]: { nested: [i] } } }));
    const texts = values.map((value) => codec.encode(value));
    expect(codec.shapeCount).toBeLessThanOrEqual(4);
    expect(texts.at(-1)).toContain('key-19');
    texts.forEach((text, i) => expect(viaJson(codec.decode(text))).toBe(viaJson(values[i])));
  });

  it('gives back random values as JSON would, the same shapes met again and again (a fixed seed: a failure replays)', () => {
    let state = 0x5eed;
    const next = (n: number) => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return (state >>> 8) % n;
    };
    const keys = ['id', 'a', 'b', 'tenant', '__proto__', '0', '10', 'é', ''];
    const random = (depth: number): unknown => {
      switch (depth > 3 ? next(5) : next(8)) {
        case 0: return null;
        case 1: return next(2) === 0;
        case 2: return next(1_000) - 500 + next(4) / 4;
        case 3: return ['', 'text', '"quoted"\n', 'ünï', '2026-12-06T10:00:00.000Z'][next(5)];
        case 4: return undefined;
        case 5: case 6: {
          const object: Record<string, unknown> = {};
          for (let i = next(4); i > 0; i--) Object.defineProperty(object, keys[next(keys.length)] as string, { value: random(depth + 1), enumerable: true, writable: true, configurable: true });
          return object;
        }
        default: return Array.from({ length: next(4) }, () => random(depth + 1));
      }
    };
    const codec = new ShapedJson(16);
    for (let i = 0; i < 2_000; i++) {
      // The cache encodes an object (a top-level undefined would be no JSON at all).
      const value = { value: random(0), context: random(0) };
      const text = codec.encode(value);
      expect(viaJson(codec.decode(text))).toBe(viaJson(value));
    }
    expect(codec.shapeCount).toBeLessThanOrEqual(16);
  });

  it('refuses a text another codec made', () => {
    const text = new ShapedJson().encode({ a: 1 });
    expect(() => new ShapedJson().decode(text)).toThrow(/unknown shape/);
  });
});
