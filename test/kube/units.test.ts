/**
 * The test API server's building blocks, checked against the outputs of the
 * Go code they mirror (apimachinery's duration and field errors, client-go's
 * JSONPath, kube-openapi validation messages, CEL).
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { CelUnsupported, compileCel, evalCel } from '../support/kube/cel.ts';
import { humanDuration } from '../support/kube/duration.ts';
import { fieldErrorString, goFloat } from '../support/kube/errors.ts';
import { compileJsonPath } from '../support/kube/jsonpath.ts';
import { jsonPatch, mergePatch } from '../support/kube/patch.ts';
import type { JSONSchemaProps } from '../support/kube/schema.ts';
import { applyDefaults, prune, validateResource } from '../support/kube/schema.ts';
import { parseFieldSelector, parseLabelSelector } from '../support/kube/selectors.ts';
import { derInteger, issueSelfSignedCert } from '../support/kube/tls.ts';

describe('humanDuration (kubectl AGE)', () => {
  it.each([
    [0, '0s'],
    [5_000, '5s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [185_000, '3m5s'],
    [10 * 60_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3600_000 + 20 * 60_000, '3h20m'],
    [8 * 3600_000, '8h'],
    [47 * 3600_000, '47h'],
    [50 * 3600_000, '2d2h'],
    [10 * 86400_000, '10d'],
    [800 * 86400_000, '2y70d'],
    [-1_000, '0s'],
    [-5_000, '<invalid>'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('JSONPath', () => {
  const obj = {
    metadata: { name: 'a', annotations: { 'example.com/x': 'y' } },
    status: {
      conditions: [
        { type: 'Synced', status: 'True', reason: 'Done' },
        { type: 'Ready', status: 'False', reason: 'Reconciling' },
      ],
      counts: [1, 2, 3],
    },
  };
  it.each([
    ['.status.conditions[?(@.type=="Ready")].reason', ['Reconciling']],
    ['{.status.conditions[?(@.status!="True")].type}', ['Ready']],
    ['.status.conditions[*].type', ['Synced', 'Ready']],
    ['.status.counts[-1]', [3]],
    ["..metadata['name']".slice(1), ['a']],
    ['.metadata.annotations.example\\.com/x', ['y']],
    ['.status.missing.deeper', []],
  ])('%s', (path, expected) => {
    expect(compileJsonPath(path).find(obj)).toEqual(expected);
  });
});

describe('CEL subset', () => {
  const run = (rule: string, self: unknown, oldSelf?: unknown): unknown => evalCel(compileCel(rule), self, oldSelf);
  it('evaluates the rules CRDs carry', () => {
    expect(run('!has(self.maxDepth) || self.maxDepth == 0 || has(self.overflow)', { maxDepth: 5 })).toBe(false);
    expect(run('!has(self.maxDepth) || self.maxDepth == 0 || has(self.overflow)', { maxDepth: 5, overflow: 'q' })).toBe(true);
    expect(run('has(self.template) != has(self.column)', { template: 't' })).toBe(true);
    expect(run('(has(self.start) ? self.start : "09:00") < (has(self.end) ? self.end : "20:00")', { start: '21:00' })).toBe(false);
    expect(run("self.all(x, x.startsWith('a')) && size(self) == 2", ['ab', 'ac'])).toBe(true);
    expect(run('self.exists(c, c.type == "Ready")', [{ type: 'Ready' }])).toBe(true);
    expect(run("self.name in ['a', 'b'] && self.n % 2 == 1 && self.n / 2 == 1", { name: 'a', n: 3 })).toBe(true);
    expect(run('self.replicas >= oldSelf.replicas', { replicas: 2 }, { replicas: 3 })).toBe(false);
    expect(() => run('self.missing == 1', {})).toThrow('no such key: missing');
  });
  it('refuses what it does not implement instead of guessing', () => {
    expect(() => compileCel('self.matchesDuration()')).toThrow(CelUnsupported);
    expect(() => compileCel('quantity(self.x).isGreaterThan(quantity("1"))')).toThrow(CelUnsupported);
  });
});

describe('structural schema', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 2, maxLength: 5 },
          when: { type: 'string', format: 'date-time' },
          ratio: { type: 'number', exclusiveMinimum: true, minimum: 0.5 },
          items: { type: 'array', items: { type: 'object', properties: { a: { type: 'string', default: 'x' } } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          nullable: { type: 'string', nullable: true },
          dropped: { type: 'string' },
        },
      },
    },
  };

  it('prunes unknown fields (reporting paths) and non-nullable nulls, then applies defaults', () => {
    const obj = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n', bogus: 1 },
      spec: { items: [{ b: 1 }, {}], free: { any: { thing: 1 } }, nullable: null, dropped: null, extra: true },
    };
    expect(prune(obj, schema)).toEqual(['metadata.bogus', 'spec.items[0].b', 'spec.extra']);
    applyDefaults(obj, schema);
    expect(obj).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n' },
      spec: { items: [{ a: 'x' }, { a: 'x' }], free: { any: { thing: 1 } }, nullable: null },
    });
  });

  it('reports violations with kube-openapi messages', () => {
    const errs = validateResource({ spec: { name: 't', when: 'yesterday', ratio: 0.5 } }, undefined, schema, {});
    expect(errs.map(fieldErrorString)).toEqual([
      'spec.name: Invalid value: "t": spec.name in body should be at least 2 chars long',
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.ratio: Invalid value: 0.5: spec.ratio in body should be greater than 0.5',
    ]);
    const long = validateResource({ spec: { name: 'toolong' } }, undefined, schema, {});
    expect(long.map(fieldErrorString)[0]).toBe('spec.name: Too long: may not be longer than 5');
    expect(goFloat(1e-7)).toBe('1e-07');
    expect(goFloat(2.5)).toBe('2.5');
  });
});

describe('patches and selectors', () => {
  it('applies RFC 7386 merge patches and RFC 6902 JSON patches', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] })).toEqual({ a: 1, b: { d: 3, e: 4 }, f: [1] });
    const doc = { spec: { list: ['a', 'b'] }, metadata: { labels: { 'x/y': '1' } } };
    expect(
      jsonPatch(doc, [
        { op: 'add', path: '/spec/list/-', value: 'c' },
        { op: 'remove', path: '/metadata/labels/x~1y' },
        { op: 'test', path: '/spec/list/0', value: 'a' },
        { op: 'copy', from: '/spec/list', path: '/spec/copy' },
      ]),
    ).toEqual({ spec: { list: ['a', 'b', 'c'], copy: ['a', 'b', 'c'] }, metadata: { labels: {} } });
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/spec/list/0', value: 'z' }])).toThrow('test failed');
  });

  it('parses label and field selectors', () => {
    const obj = { metadata: { name: 'a', namespace: 'demo', labels: { tier: 'gold', team: 'x' } }, type: 'Opaque' };
    expect(parseLabelSelector('tier=gold,team in (x, y),!missing')(obj)).toBe(true);
    expect(parseLabelSelector('tier!=gold')(obj)).toBe(false);
    expect(parseLabelSelector('team notin (x)')(obj)).toBe(false);
    expect(parseFieldSelector('metadata.name=a,type==Opaque', ['type'])(obj)).toBe(true);
    expect(() => parseFieldSelector('spec.x=1', [])).toThrow('field label not supported: spec.x');
  });
});

describe('self-signed certificate', () => {
  it('encodes integers in their shortest DER form', () => {
    expect(derInteger(Buffer.from([0x00, 0x00, 0x12]))).toEqual(Buffer.from([0x02, 0x01, 0x12]));
    expect(derInteger(Buffer.from([0x00, 0x92]))).toEqual(Buffer.from([0x02, 0x02, 0x00, 0x92]));
    expect(derInteger(Buffer.from([0x00]))).toEqual(Buffer.from([0x02, 0x01, 0x00]));
  });

  // A random serial starts with a zero byte once in 256 processes; OpenSSL
  // refused the padded form with "illegal padding" and the server never started.
  it.each([
    ['a leading zero byte', Buffer.from('0012345678abcdef0012345678abcdef', 'hex')],
    ['a high first bit', Buffer.from('f012345678abcdef0012345678abcdef', 'hex')],
  ])('is accepted by OpenSSL with a serial of %s', (_, serial) => {
    const { certPem, keyPem } = issueSelfSignedCert(serial);
    expect(new X509Certificate(certPem).serialNumber).toBe(serial.toString('hex').replace(/^(00)+/, '').toUpperCase());
    expect(() => createSecureContext({ cert: certPem, key: keyPem })).not.toThrow();
  });
});
