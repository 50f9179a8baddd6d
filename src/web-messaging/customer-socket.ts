import type { Subscription } from '@nats-io/transport-node';
import type { FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import { attachmentOf, ownAttachments } from './attachments.ts';
import { availabilityOf } from './availability.ts';
import { baseUrlOf, channelFor, type WebContext } from './context.ts';
import { ClientFrame, type ServerFrame } from './frames.ts';
import { WebProblem } from './problems.ts';
import { publishCustomerMessage } from './publish-inbound.ts';
import { verifySession, type WebSession } from './session-token.ts';
import { publishCustomerTyping } from './typing-relay.ts';
import { webSubjects } from './web-subjects.ts';

const PING_INTERVAL_MS = 30_000;
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** WebSocket close codes (4000-4999 are the application's): the HTTP status + 4000. */
export const CloseCodes = { unauthorized: 4401, forbidden: 4403, unknownChannel: 4404, goingAway: 1001, policy: 1008 } as const;

/**
 * One customer's socket: authenticates (token in the URL, checked before the upgrade, or
 * in the first frame), subscribes to the session subject, then handles the customer's
 * frames. Every socket of a session (several tabs) gets every frame for it.
 */
export class CustomerSockets {
  readonly #ctx: WebContext;
  readonly #open = new Set<WebSocket>();
  readonly #preAuthorized = new WeakMap<FastifyRequest, WebSession>();

  constructor(ctx: WebContext) {
    this.#ctx = ctx;
  }

  /** `preHandler` for the upgrade: a token in `?token=` is checked here, so a bad one is an HTTP 401. */
  async authorize(request: FastifyRequest): Promise<void> {
    const token = (request.query as { token?: string }).token;
    if (token === undefined) return;
    const session = await verifySession(this.#ctx.secret, token);
    channelFor(this.#ctx, request, session.tenant, session.channel);
    this.#preAuthorized.set(request, session);
  }

  serve(ws: WebSocket, request: FastifyRequest): void {
    this.#open.add(ws);
    this.#ctx.metrics.sockets.inc();
    ws.on('error', () => undefined); // 'close' follows
    ws.once('close', () => {
      this.#open.delete(ws);
      this.#ctx.metrics.sockets.dec();
    });
    const session = this.#preAuthorized.get(request);
    if (session) {
      void this.#start(ws, request, session);
      return;
    }
    const timer = setTimeout(() => ws.close(CloseCodes.unauthorized, 'no auth frame'), this.#ctx.opts.authTimeoutMs);
    ws.once('message', (data) => {
      clearTimeout(timer);
      const frame = ClientFrame.safeParse(parseJson(data));
      if (!frame.success || frame.data.type !== 'auth') {
        this.#ctx.metrics.authFailures.inc();
        ws.close(CloseCodes.unauthorized, 'the first frame must be {"type":"auth","token":…}');
        return;
      }
      verifySession(this.#ctx.secret, frame.data.token)
        .then((verified) => {
          channelFor(this.#ctx, request, verified.tenant, verified.channel);
          return this.#start(ws, request, verified);
        })
        .catch((err: unknown) => {
          if (err instanceof WebProblem && err.code === 'unauthorized') this.#ctx.metrics.authFailures.inc();
          closeWithProblem(ws, err);
        });
    });
  }

  /** Closes every socket with 1001; the widget reconnects (to another process) by itself. */
  close(): void {
    for (const ws of this.#open) ws.close(CloseCodes.goingAway, 'server shutting down');
  }

  async #start(ws: WebSocket, request: FastifyRequest, session: WebSession): Promise<void> {
    const ctx = this.#ctx;
    const sub = ctx.nc.subscribe(webSubjects.session(session.tenant, session.channel, session.customerId));
    ws.once('close', () => sub.unsubscribe());
    try {
      // Once the server has our SUB, no agent message pushed after `ready` is missed.
      await ctx.nc.flush();
      const settings = channelFor(ctx, request, session.tenant, session.channel);
      if (ws.readyState !== WebSocket.OPEN) return;
      send(ws, { type: 'ready', customerId: session.customerId, availability: await availabilityOf(ctx.db, session.tenant, settings) });
    } catch (err) {
      closeWithProblem(ws, err);
      return;
    }
    this.#forward(ws, sub);
    this.#heartbeat(ws);
    // The token's life ends the socket too: the widget resumes (refreshing it) and reconnects.
    const expiry = setTimeout(() => ws.close(CloseCodes.unauthorized, 'session token expired'), Math.min(session.exp * 1000 - Date.now(), 2 ** 31 - 1));
    ws.once('close', () => clearTimeout(expiry));
    const baseUrl = baseUrlOf(ctx, request);
    const language = (request.query as { lang?: string }).lang;
    ws.on('message', (data) => {
      void this.#handle(ws, session, data, baseUrl, language).catch((err: unknown) => {
        ctx.logger?.error('web frame failed', { err });
        send(ws, { type: 'error', code: 'internal', message: 'the server failed to handle the frame' });
      });
    });
  }

  async #handle(ws: WebSocket, session: WebSession, data: WebSocket.RawData, baseUrl: string, language: string | undefined): Promise<void> {
    const ctx = this.#ctx;
    const parsed = ClientFrame.safeParse(parseJson(data));
    if (!parsed.success) {
      send(ws, { type: 'error', code: 'invalidRequest', message: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(frame)'}: ${i.message}`).join('; ') });
      return;
    }
    const frame = parsed.data;
    if (frame.type === 'auth') return; // already authenticated: harmless
    if (frame.type === 'typing') {
      if (ctx.typing.take(sessionKey(session))) await publishCustomerTyping(ctx.nc, ctx.db, session, frame.typing);
      return;
    }
    if (!ctx.sends.take(sessionKey(session))) {
      ctx.metrics.messages.inc({ result: 'refused' });
      send(ws, { type: 'error', id: frame.id, code: 'rateLimited', message: 'too many messages; wait a moment and send again' });
      return;
    }
    const lang = language && /^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language) ? language : undefined;
    let message;
    if (frame.type === 'postback') {
      message = { clientId: frame.id, text: frame.text, content: [{ type: 'buttonResponse' as const, text: frame.text, payload: frame.payload }] };
    } else if (frame.type === 'form') {
      // The text is what agents and text-only tools read; the content keeps the values exact.
      const text = Object.entries(frame.values).map(([name, value]) => `${name}: ${value}`).join('\n');
      message = { clientId: frame.id, ...(text && { text }), content: [{ type: 'formResponse' as const, payload: frame.payload, values: frame.values }] };
    } else {
      const ids = frame.attachments ?? [];
      const rows = await ownAttachments(ctx.db, session, ids);
      if (rows.length !== new Set(ids).size) {
        ctx.metrics.messages.inc({ result: 'refused' });
        send(ws, { type: 'error', id: frame.id, code: 'invalidRequest', message: 'an attachment id is not one of this session’s uploads' });
        return;
      }
      const hasText = (frame.text?.trim().length ?? 0) > 0;
      if (!hasText && rows.length === 0) {
        ctx.metrics.messages.inc({ result: 'refused' });
        send(ws, { type: 'error', id: frame.id, code: 'invalidRequest', message: 'a message needs text or an attachment' });
        return;
      }
      message = {
        clientId: frame.id,
        ...(hasText && { text: frame.text }),
        attachments: rows.map((row) => attachmentOf(ctx.secret, baseUrl, session, row)),
      };
    }
    try {
      const duplicate = await publishCustomerMessage(ctx.js, session, { ...message, ...(lang && { language: lang }) }, ctx.opts.publishTimeoutMs);
      ctx.metrics.messages.inc({ result: duplicate ? 'duplicate' : 'published' });
    } catch (err) {
      ctx.metrics.messages.inc({ result: 'failed' });
      ctx.logger?.warn('web message not published', { err });
      send(ws, { type: 'error', id: frame.id, code: 'unavailable', message: 'the message could not be stored; it will be sent again' });
      return;
    }
    const settings = ctx.channels(session.tenant, session.channel);
    const availability = settings ? await availabilityOf(ctx.db, session.tenant, settings) : { online: false };
    send(ws, { type: 'ack', id: frame.id, availability });
  }

  #forward(ws: WebSocket, sub: Subscription): void {
    void (async () => {
      for await (const msg of sub) {
        if (ws.readyState !== WebSocket.OPEN) break;
        // A browser this far behind is not reading: it reconnects and reads the history.
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          ws.close(CloseCodes.policy, 'too far behind');
          break;
        }
        ws.send(msg.string());
      }
    })().catch(() => ws.terminate());
  }

  #heartbeat(ws: WebSocket): void {
    let alive = true;
    ws.on('pong', () => (alive = true));
    const timer = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);
    ws.once('close', () => clearInterval(timer));
  }
}

function sessionKey(session: WebSession): string {
  return `${session.tenant}/${session.channel}/${session.customerId}`;
}

function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
}

function closeWithProblem(ws: WebSocket, err: unknown): void {
  const code = err instanceof WebProblem && err.code in CloseCodes ? CloseCodes[err.code as keyof typeof CloseCodes] : CloseCodes.goingAway;
  ws.close(code, err instanceof WebProblem ? err.message.slice(0, 120) : 'server error');
}

function parseJson(data: WebSocket.RawData): unknown {
  try {
    return JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
  } catch {
    return undefined;
  }
}

