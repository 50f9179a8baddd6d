/**
 * SMS compliance keywords. Only the exact single word counts, case-insensitively
 * (braze.com …/optin_optout); the list joins the CTIA set, Twilio's REVOKE and OPTOUT,
 * and AWS's extras. The adapter never drops these messages: it tags them (attribute
 * `smsKeyword`) and publishes them like any other, for the compliance rules.
 */
const keywords: Record<string, SmsKeyword> = {};
for (const word of ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT-OUT', 'ARRET', 'REMOVE', 'TD']) keywords[word] = 'stop';
for (const word of ['START', 'YES', 'UNSTOP']) keywords[word] = 'start';
for (const word of ['HELP', 'INFO']) keywords[word] = 'help';

export type SmsKeyword = 'stop' | 'start' | 'help';

export function smsKeywordOf(text: string | undefined): SmsKeyword | undefined {
  const word = (text ?? '').trim().replace(/[.!]+$/, '').toUpperCase();
  return Object.hasOwn(keywords, word) ? keywords[word] : undefined;
}
