import type { NatsConnection } from '@nats-io/transport-node';

/** Whether the NATS connection is up now (not merely "not closed": reconnecting counts as down). */
export function trackConnection(nc: NatsConnection): { readonly connected: boolean } {
  const state = { connected: !nc.isClosed() };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'close') state.connected = false;
      else if (status.type === 'reconnect') state.connected = true;
    }
  })().catch(() => {
    state.connected = false;
  });
  return state;
}
