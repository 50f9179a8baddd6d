import { startChannelService, staticSecrets, type ChannelService } from '../../src/channel-service/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import type { RunningParley } from './parley.ts';
import { freePort } from './free-port.ts';
import { answers } from './provider-fakes/answers.ts';
import { ProviderFake } from './provider-fakes/provider-fake.ts';

/** The business phone number id the fake's Channel sends from (the Cloud API path names it). */
export const PHONE_NUMBER_ID = '106540352242922';

/**
 * The WhatsApp Cloud API played by a fake that records every call, and the Channel
 * `spec.provider` pointing at it. Start it before the router (its URL goes into the
 * Channel), then `startChannels` so that outbound messages reach it.
 */
export async function startWhatsAppFake(tenant: string): Promise<{ fake: ProviderFake; provider: Record<string, unknown>; startChannels(parley: RunningParley): Promise<ChannelService> }> {
  const fake = await ProviderFake.start(() => answers.whatsapp.accepted());
  const ref = (key: string) => ({ name: 'whatsapp-secrets', key });
  const provider = { whatsapp: { phoneNumberId: PHONE_NUMBER_ID, baseUrl: fake.url, secrets: { appSecret: ref('app-secret'), accessToken: ref('access-token'), verifyToken: ref('verify-token') } } };
  const secrets = { [tenant]: { 'whatsapp-secrets': { 'app-secret': 'wa-app-secret', 'access-token': 'wa-token', 'verify-token': 'wa-verify' } } };
  const startChannels = async (parley: RunningParley) => {
    const port = await freePort();
    return startChannelService({
      nc: parley.nc,
      db: parley.store.db,
      config: parley.config,
      secrets: staticSecrets(secrets),
      registry: parley.registry,
      logger: createLogger({}, { level: 'error' }),
      publicBaseUrl: `http://127.0.0.1:${port}`,
      port,
    });
  };
  return { fake, provider, startChannels };
}
