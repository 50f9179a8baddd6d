import type { ChannelProvider, ProviderRequest, SendOutcome } from '../channels/index.ts';

/**
 * Makes one provider call with Node's fetch (undici) and classifies the answer with the
 * provider's `parseResponse`. A call that gets no answer (connection refused, reset,
 * timeout) is a retry: whether the provider took it is unknown, which the sender's
 * attempt record accounts for.
 */
export async function callProvider(provider: ChannelProvider, request: ProviderRequest, timeoutMs: number): Promise<SendOutcome> {
  const headers: Record<string, string> = { ...request.headers };
  let body: string;
  if (request.body.type === 'json') {
    body = JSON.stringify(request.body.value);
    headers['content-type'] ??= 'application/json';
  } else {
    body = new URLSearchParams(request.body.value.map(([k, v]): [string, string] => [k, v])).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, { method: request.method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (err) {
    const why = err instanceof Error ? (err.cause instanceof Error ? (err.cause as NodeJS.ErrnoException).code ?? err.cause.message : err.name) : 'error';
    return { kind: 'retry', reason: `ProviderUnreachable (${why})` };
  }
  return provider.parseResponse({ status: response.status, body: text, headers: Object.fromEntries(response.headers) });
}

/** Retry delays: exponential from `baseMs`, at most `maxMs`, or the provider's `Retry-After` when longer (still capped). */
export function retryDelayMs(attempt: number, afterMs: number | undefined, baseMs: number, maxMs: number): number {
  const backoff = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(maxMs, Math.max(backoff, afterMs ?? 0));
}
