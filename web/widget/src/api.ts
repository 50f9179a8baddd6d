import type { Availability, ClientFrame, HistoryMessage, ServerFrame } from '../../../src/web-messaging/frames.ts';

export type { Availability, HistoryMessage, ServerFrame };

/** What `POST …/attachments` answers. */
export interface UploadedAttachment {
  id: string;
  url: string;
  contentType: string;
  filename?: string;
  size: number;
}

interface SessionAnswer {
  token: string;
  customerId: string;
  availability: Availability;
}

export class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * The one client of the web-messaging server: sessions (token kept in localStorage so a
 * reload resumes the conversation), history, uploads and the session socket.
 */
export class WebMessagingApi {
  readonly #base: string;
  readonly #storageKey: string;
  token: string | undefined;

  constructor(
    readonly server: string,
    readonly tenant: string,
    readonly channel: string,
  ) {
    this.#base = `${server}/web/v1/${tenant}/${channel}`;
    this.#storageKey = `parley.web.${tenant}.${channel}`;
    this.token = readStorage(this.#storageKey);
  }

  /** Whether this browser already has a conversation here (a token from an earlier visit). */
  get hasSession(): boolean {
    return this.token !== undefined;
  }

  /** Resumes the stored session (refreshing its token) or opens a new one. */
  async session(): Promise<SessionAnswer> {
    if (this.token) {
      try {
        return this.#keep(await this.#json<SessionAnswer>('POST', '/sessions'));
      } catch (err) {
        // An expired or foreign token: start afresh rather than fail.
        if (!(err instanceof HttpError) || (err.status !== 401 && err.status !== 403)) throw err;
        this.token = undefined;
      }
    }
    return this.#keep(await this.#json<SessionAnswer>('POST', '/sessions'));
  }

  history(): Promise<{ messages: HistoryMessage[]; availability: Availability }> {
    return this.#json('GET', '/history');
  }

  upload(file: File): Promise<UploadedAttachment> {
    return this.#json('POST', `/attachments?filename=${encodeURIComponent(file.name)}`, file, file.type || 'application/octet-stream');
  }

  /** Opens the session socket; `onFrame` gets every server frame, `onClose` when it ends. */
  connect(onFrame: (frame: ServerFrame) => void, onClose: () => void, language: string): WebSocketLike {
    const url = `${this.server.replace(/^http/, 'ws')}/web/v1/ws?token=${encodeURIComponent(this.token ?? '')}&lang=${encodeURIComponent(language)}`;
    const ws = new WebSocket(url);
    ws.onmessage = (event) => {
      try {
        onFrame(JSON.parse(String(event.data)) as ServerFrame);
      } catch {
        // A frame the widget cannot read is skipped; the history resynchronizes it.
      }
    };
    ws.onclose = () => onClose();
    return { send: (frame: ClientFrame) => ws.readyState === WebSocket.OPEN && (ws.send(JSON.stringify(frame)), true), close: () => ws.close() };
  }

  #keep(answer: SessionAnswer): SessionAnswer {
    this.token = answer.token;
    writeStorage(this.#storageKey, answer.token);
    return answer;
  }

  async #json<T>(method: 'GET' | 'POST', path: string, body?: Blob, contentType?: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (contentType) headers['content-type'] = contentType;
    const res = await fetch(`${this.#base}${path}`, { method, headers, ...(body && { body }) });
    if (!res.ok) throw new HttpError(res.status);
    return (await res.json()) as T;
  }
}

export interface WebSocketLike {
  /** False when the socket is not open (the frame was not sent). */
  send(frame: ClientFrame): boolean;
  close(): void;
}

// localStorage can be blocked (privacy settings, sandboxed frames): the widget then works for the page's lifetime.
function readStorage(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeStorage(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // see readStorage
  }
}
