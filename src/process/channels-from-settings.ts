import { createHmac } from 'node:crypto';
import type { ChannelServiceOptions } from '../channel-service/index.ts';
import type { Settings } from './settings.ts';

/** What the process decides when a setting is not given (`up` fills more in than `channels`). */
export interface ChannelsDefaults {
  /** The SMTP listener's port when PARLEY_SMTP_PORT is unset; undefined: no listener. */
  readonly smtpPort: number | undefined;
  /** The secret the web-messaging key derives from when PARLEY_WEB_SECRET is unset; undefined: no web messaging. */
  readonly localSecret: string | undefined;
  /** The gateway's URL when PARLEY_PUBLIC_URL is unset. */
  readonly gatewayUrl: string;
  /** Serve the widget's test page (`parley up`). */
  readonly tryPage: boolean;
}

/** A key of its own for web messaging, so that a session token is never also a gateway token. */
function derivedWebKey(localSecret: string): Uint8Array {
  return createHmac('sha256', localSecret).update('parley web messaging session key').digest();
}

/** The web-messaging and e-mail options of the channels role, from the settings (docs/operations.md §2). */
export function channelsMediaOptions(settings: Settings, defaults: ChannelsDefaults): Pick<ChannelServiceOptions, 'web' | 'email'> {
  const webKey = settings.webSecret !== undefined ? Buffer.from(settings.webSecret, 'utf8') : defaults.localSecret !== undefined ? derivedWebKey(defaults.localSecret) : undefined;
  const smtpPort = settings.smtpPort ?? defaults.smtpPort;
  const gateway = (settings.publicUrl ?? defaults.gatewayUrl).replace(/\/+$/, '');
  return {
    ...(webKey && { web: { secret: webKey, tryPage: defaults.tryPage, options: settings.widgetScript ? { widgetScriptPath: settings.widgetScript } : {} } }),
    email: {
      attachmentBaseUrl: `${gateway}/v1/email-attachments/`,
      ...(smtpPort !== undefined && { smtp: { host: settings.host, port: smtpPort } }),
    },
  };
}
