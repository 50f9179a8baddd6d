import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { WebChannelSettings } from './channel-settings.ts';
import type { Availability } from './frames.ts';

/**
 * Whether an agent of the tenant is available now (presence `available` in the agents
 * table the routers write). When none is, the widget shows the Channel's offline message;
 * the customer may still write, and the message waits in the queue as on any channel.
 */
export async function availabilityOf(db: Kysely<Database>, tenant: string, settings: WebChannelSettings): Promise<Availability> {
  const agent = await db.selectFrom('agents').select('id').where('tenant', '=', tenant).where('presence', '=', 'available').limit(1).executeTakeFirst();
  const online = agent !== undefined;
  return online || !settings.offlineMessage ? { online } : { online, offlineMessage: { ...settings.offlineMessage } };
}
