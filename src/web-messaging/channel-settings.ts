/**
 * What a `web` Channel needs beyond the common settings. Proposed Channel resource fields
 * (`spec.web`), resolved by the config registry:
 *
 * ```yaml
 * spec:
 *   type: web
 *   web:
 *     allowedOrigins: ["https://www.example.com"]   # sites allowed to embed the widget
 *     offlineMessage:                               # shown when no agent is available
 *       en: "We are offline. Leave a message and we will answer by tomorrow."
 *       fr: "Nous sommes absents. Laissez un message, nous répondrons demain."
 * ```
 */
export interface WebChannelSettings {
  /** Exact origins (`scheme://host[:port]`) the widget may run on; `*` allows any site. */
  readonly allowedOrigins: readonly string[];
  /** The message shown when no agent is available, by language (BCP 47 primary tag). */
  readonly offlineMessage?: Readonly<Record<string, string>>;
}

/**
 * Whether a browser request's `Origin` may use this Channel. A request without `Origin`
 * (not a browser: a server, a test client) is allowed: the check stops other sites'
 * pages from using the channel, which a non-browser client could never be stopped from
 * by a header it writes itself.
 */
export function originAllowed(settings: WebChannelSettings, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  return settings.allowedOrigins.includes('*') || settings.allowedOrigins.includes(origin);
}
