/**
 * SMS and WhatsApp compliance keywords. A message is a keyword only when its whole text,
 * trimmed, is exactly one of the words, in any case: "stop" and " STOP " are, "please
 * stop" and "STOP!" are not (CTIA and the carriers' rule: an exact single word).
 */

export const KeywordKinds = ['opt-out', 'opt-in', 'help'] as const;
export type KeywordKind = (typeof KeywordKinds)[number];

/** The words every channel honours (Twilio's list, which includes the FCC's revocation words). */
export const DefaultKeywords = {
  'opt-out': ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'],
  'opt-in': ['START', 'YES', 'UNSTOP'],
  help: ['HELP', 'INFO'],
} as const satisfies Record<KeywordKind, readonly string[]>;

/**
 * A channel's own keywords, added to the defaults (other languages: `optOut: ['ARRET',
 * 'ARRÊT']`). Each is one word; case does not matter.
 */
export interface ChannelKeywords {
  optOut?: readonly string[];
  optIn?: readonly string[];
  help?: readonly string[];
}

export interface KeywordMatch {
  kind: KeywordKind;
  /** The keyword matched, upper-cased. */
  keyword: string;
}

/** Bad configuration: a keyword with spaces, or empty. */
export class InvalidKeywordError extends Error {
  override readonly name = 'InvalidKeywordError';
}

const maxKeywordLength = 32;

const fold = (word: string): string => word.trim().normalize('NFC').toLocaleUpperCase('und');

const compiled = new WeakMap<ChannelKeywords, ReadonlyMap<string, KeywordKind>>();
const defaults = compile({});

/**
 * The words of a channel, word → kind. When a word is in two kinds, opt-out wins over
 * opt-in and help: honouring a STOP wrongly costs one message, ignoring one is unlawful.
 */
export function compileKeywords(channel: ChannelKeywords): ReadonlyMap<string, KeywordKind> {
  let map = compiled.get(channel);
  if (!map) {
    map = compile(channel);
    compiled.set(channel, map);
  }
  return map;
}

function compile(channel: ChannelKeywords): ReadonlyMap<string, KeywordKind> {
  const map = new Map<string, KeywordKind>();
  const add = (kind: KeywordKind, words: readonly string[]): void => {
    for (const word of words) {
      const key = fold(word);
      if (key === '' || /\s/u.test(key) || key.length > maxKeywordLength) {
        throw new InvalidKeywordError(`a keyword is one word of at most ${maxKeywordLength} characters: ${JSON.stringify(word)}`);
      }
      map.set(key, kind);
    }
  };
  // Later kinds overwrite earlier ones: add the winning kind last.
  add('help', [...DefaultKeywords.help, ...(channel.help ?? [])]);
  add('opt-in', [...DefaultKeywords['opt-in'], ...(channel.optIn ?? [])]);
  add('opt-out', [...DefaultKeywords['opt-out'], ...(channel.optOut ?? [])]);
  return map;
}

/** Which keyword `text` is, or null when it is an ordinary message. Pure. */
export function classifyKeyword(text: string | null | undefined, channelKeywords?: ChannelKeywords): KeywordMatch | null {
  if (!text) return null;
  const word = fold(text);
  // Cheap exit for the usual message: keywords are short single words.
  if (word.length > maxKeywordLength || /\s/u.test(word)) return null;
  const kind = (channelKeywords ? compileKeywords(channelKeywords) : defaults).get(word);
  return kind ? { kind, keyword: word } : null;
}
