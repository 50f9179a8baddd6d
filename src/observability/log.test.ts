import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { createLogger, pinoOf } from './log.ts';

type Line = Record<string, unknown>;

function capture(level: 'debug' | 'info' = 'info') {
  const lines: Line[] = [];
  const log = createLogger({ component: 'test' }, { level, write: (line) => lines.push(JSON.parse(line) as Line) });
  return { log, lines };
}

describe('logs', () => {
  it('are JSON lines with time, level label, message and the fields of the logger and the call', () => {
    const { log, lines } = capture();
    log.child({ node: 'n1' }).info('router started', { partitions: 3 });
    log.debug('not written at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'router started', component: 'test', node: 'n1', partitions: 3 });
    expect(Date.parse(String(lines[0]?.time))).not.toBeNaN();
  });

  it('take their level from PARLEY_LOG_LEVEL, and start at info when it names no level', () => {
    const lines: Line[] = [];
    const write = (line: string) => lines.push(JSON.parse(line) as Line);
    const saved = process.env.PARLEY_LOG_LEVEL;
    try {
      process.env.PARLEY_LOG_LEVEL = 'WARN';
      createLogger({}, { write }).info('dropped');
      process.env.PARLEY_LOG_LEVEL = 'verbose';
      createLogger({}, { write }).info('written');
    } finally {
      if (saved === undefined) delete process.env.PARLEY_LOG_LEVEL;
      else process.env.PARLEY_LOG_LEVEL = saved;
    }
    expect(lines.map((l) => l.msg)).toEqual(['written']);
  });

  it('keep an error’s stack, code and chain of causes', () => {
    const { log, lines } = capture();
    const root = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    log.error('outbox dispatch failed', { err: new ParleyError('unavailable', 'database down', { cause: root }) });
    const err = lines[0]?.err as Record<string, unknown>;
    expect(err).toMatchObject({ type: 'ParleyError', message: 'database down', code: 'unavailable' });
    expect(String(err.stack)).toContain('log.test.ts');
    expect(err.cause).toMatchObject({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(String((err.cause as Line).stack)).toContain('log.test.ts');
  });

  it('redact message content, customer identifiers, credentials and authorization headers', () => {
    const { log, lines } = capture();
    log.warn('suspicious', {
      conversationId: 'c-1',
      text: 'my card number is 4111…',
      envelope: { messageId: 'm-1', text: 'hello', from: { id: '+33611111111', idType: 'phone' }, attachments: [{ url: 'https://x' }] },
      customer: { name: 'Jane Doe' },
      email: 'jane@example.com',
      req: { method: 'GET', headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'user-agent': 'curl' } },
      clientSecret: 's3cret',
    });
    expect(lines[0]).toMatchObject({
      conversationId: 'c-1',
      text: '[redacted]',
      envelope: { messageId: 'm-1', text: '[redacted]', from: '[redacted]', attachments: '[redacted]' },
      customer: '[redacted]',
      email: '[redacted]',
      req: { method: 'GET', headers: { authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'curl' } },
      clientSecret: '[redacted]',
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/hello|4111|Jane|\+3361|abc|s3cret|jane@/);
  });

  it('expose their pino instance (for fastify), children included', () => {
    const { log } = capture();
    expect(pinoOf(log)?.level).toBe('info');
    expect(pinoOf(log.child({ a: 1 }))?.bindings()).toMatchObject({ a: 1 });
  });

  describe('inside a span', () => {
    let sdk: NodeSDK;
    beforeAll(() => {
      sdk = new NodeSDK({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })], instrumentations: [], logRecordProcessors: [] });
      sdk.start();
    });
    afterAll(() => sdk.shutdown());

    it('carry the trace and span ids; outside one they carry none', async () => {
      const { log, lines } = capture();
      const ids = await trace.getTracer('test').startActiveSpan('work', async (span) => {
        await new Promise((resolve) => setImmediate(resolve));
        log.info('inside');
        span.end();
        return span.spanContext();
      });
      log.info('outside');
      expect(lines[0]).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId });
      expect(lines[1]).not.toHaveProperty('trace_id');
    });
  });
});
