import type { ErrorMeaning, ProviderResponse, SendOutcome } from '../provider.ts';
import { jsonOrUndefined, retryAfterMs } from '../retry-after.ts';

interface GraphError {
  code?: number;
  error_subcode?: number;
  message?: string;
}

/**
 * Classifies a Graph API answer (WhatsApp Cloud API, Messenger, Instagram): a 2xx with an
 * id is accepted; `meanings` names the provider codes; 429, 5xx and unknown codes on a
 * 5xx are retried (honouring `Retry-After`); any other error is permanent, with the
 * provider's code as the reason so that nothing is hidden.
 */
export function classifyGraphResponse(
  response: ProviderResponse,
  idOf: (body: unknown) => string | undefined,
  meaning: (code: number, subcode: number | undefined) => ErrorMeaning | undefined,
  provider: string,
): SendOutcome {
  const body = jsonOrUndefined(response.body);
  if (response.status >= 200 && response.status < 300) {
    const id = idOf(body);
    return id ? { kind: 'accepted', providerMessageId: id } : { kind: 'retry', reason: `${provider} answered ${response.status} without a message id` };
  }
  const error = (body as { error?: GraphError } | undefined)?.error;
  const afterMs = retryAfterMs(response.headers);
  const known = error?.code === undefined ? undefined : meaning(error.code, error.error_subcode);
  const code = error?.code === undefined ? `HTTP ${response.status}` : `${provider} ${error.code}${error.error_subcode ? `/${error.error_subcode}` : ''}`;
  if (known) {
    const reason = `${known.reason} (${code})`;
    return known.retryable ? { kind: 'retry', reason, ...(afterMs !== undefined ? { afterMs } : {}) } : { kind: 'failed', reason };
  }
  if (response.status === 429 || response.status >= 500) {
    return { kind: 'retry', reason: `${response.status === 429 ? 'RateLimited' : 'ProviderUnavailable'} (${code})`, ...(afterMs !== undefined ? { afterMs } : {}) };
  }
  return { kind: 'failed', reason: `ProviderRejected (${code})` };
}
