import type { FastifyInstance } from 'fastify';
import type { ConsumeLoop } from '../bus/index.ts';
import { NotificationSender, startNotificationReceipts } from '../notifications/index.ts';
import { notificationRoutes } from './notification-routes.ts';
import { oauthRoutes } from './oauth-routes.ts';
import type { ResolvedOptions } from './options.ts';

// How often a gateway that started before the routers created the streams tries again.
const RECEIPTS_RETRY_MS = 5_000;

/**
 * Serves the integrator API when the options ask for it, and follows delivery receipts
 * for notifications. @returns what stops the receipts consumer (a no-op without integrations).
 */
export async function registerIntegrations(app: FastifyInstance, opts: ResolvedOptions): Promise<() => Promise<void>> {
  const integrations = opts.integrations;
  if (!integrations) return () => Promise.resolve();
  const sender = new NotificationSender({ nc: opts.nc, db: opts.db, channels: integrations.channels, defaultTimeZone: integrations.defaultTimeZone, now: integrations.now, allowPrivateCallbacks: integrations.allowPrivateCallbacks });
  await app.register(oauthRoutes, { db: opts.db, integrations });
  await app.register(notificationRoutes, { db: opts.db, verifier: opts.verifier, integrations, sender });
  if (!integrations.followReceipts) return () => Promise.resolve();

  const log = opts.logger.child({ component: 'notification-receipts' });
  let loop: ConsumeLoop | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const start = async (): Promise<void> => {
    try {
      loop = await startNotificationReceipts({
        nc: opts.nc,
        db: opts.db,
        callbackRetry: integrations.callbackRetry,
        onError: (err) => log.warn('notification receipt or callback failed', { err: (err as Error).message }),
      });
      if (stopped) await loop.stop();
    } catch (err) {
      // The receipts stream is the routers' to create: wait for it rather than fail the gateway.
      log.warn('cannot follow notification receipts yet; retrying', { err: (err as Error).message });
      if (!stopped) timer = setTimeout(() => void start(), RECEIPTS_RETRY_MS);
    }
  };
  await start();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await loop?.stop();
  };
}
