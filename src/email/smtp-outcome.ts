import type { SendOutcome } from '../channels/index.ts';

/** What a permanent SMTP reply code means, for the `failed` receipt. */
const meanings: Record<number, string> = {
  521: 'DomainDoesNotAcceptMail',
  535: 'AuthenticationFailed',
  550: 'RecipientRejected',
  551: 'RecipientRejected',
  552: 'MessageTooLarge',
  553: 'RecipientRejected',
  554: 'MessageRejected',
  556: 'DomainDoesNotAcceptMail',
};

/** nodemailer's error fields: `responseCode` for an SMTP reply, `code` (ECONNECTION, ETIMEDOUT, …) otherwise. */
interface MailError {
  responseCode?: number;
  code?: string;
  response?: string;
}

/**
 * Classifies a failed SMTP hand-over (RFC 5321 §4.2.1): a 5xx reply is permanent
 * (`failed`, with the reply's meaning and code), a 4xx reply or a connection, TLS, DNS
 * or timeout failure is transient (`retry`).
 */
export function outcomeOfSmtpError(err: unknown): SendOutcome {
  const e = (err ?? {}) as MailError;
  const code = e.responseCode;
  if (code !== undefined && code >= 500 && code < 600) {
    return { kind: 'failed', reason: `${meanings[code] ?? 'ProviderRejected'} (smtp ${code})` };
  }
  if (code !== undefined && code >= 400 && code < 500) return { kind: 'retry', reason: `TemporarilyRejected (smtp ${code})` };
  return { kind: 'retry', reason: `SmtpUnavailable (${e.code ?? 'error'})` };
}
