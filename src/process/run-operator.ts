import { randomUUID } from 'node:crypto';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { openCampaignStatusBucket, openConfigBucket } from '../config/index.ts';
import { startOperator } from '../../operator/index.ts';
import { createLogger, startOpsServer } from '../observability/index.ts';
import { trackConnection } from './nats-status.ts';
import { connectNats, loadKubeConfig } from './open-dependencies.ts';
import { readSettings } from './settings.ts';
import { onShutdown } from './shutdown.ts';

/**
 * The `operator` process: reconciles Channel, Queue and Campaign resources into the NATS
 * configuration bucket. Run two replicas: one leads (a Lease named `parley-operator` in
 * POD_NAMESPACE), the other keeps its caches warm and takes over when the leader goes.
 *
 * Kubernetes access: KUBECONFIG, else ~/.kube/config, else the pod's service account.
 * PARLEY_WATCH_NAMESPACES (comma-separated) limits it to those namespaces.
 */
export async function runOperator(): Promise<void> {
  const settings = readSettings();
  const log = createLogger({ component: 'operator' });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const kubeConfig = await loadKubeConfig();
  const nc = await connectNats(settings.natsUrl, 'parley-operator');
  const nats = trackConnection(nc);
  const bucket = await openConfigBucket(nc);
  const operator = await startOperator({
    kubeConfig,
    kv: bucket,
    campaignStatus: await openCampaignStatusBucket(nc),
    registry,
    logger: log,
    leaderElection: {
      namespace: process.env.POD_NAMESPACE || 'default',
      ...(process.env.POD_NAME && { identity: `${process.env.POD_NAME}_${randomUUID()}` }),
    },
    namespaces: (process.env.PARLEY_WATCH_NAMESPACES ?? '')
      .split(',')
      .map((ns) => ns.trim())
      .filter((ns) => ns !== ''),
  });
  const ops = await startOpsServer({
    registry,
    host: settings.host,
    port: settings.opsPort,
    // A standby is ready too: it has what it needs to take over at once.
    ready: () =>
      Promise.resolve({
        nats: nats.connected ? true : 'disconnected (reconnecting)',
        kubernetes: operator.synced ? true : 'the caches do not hold a complete list of every kind yet',
      }),
  });
  log.info('operator started', { ops: ops.url, identity: operator.identity, cluster: kubeConfig.getCurrentCluster()?.server });
  onShutdown(log, async () => {
    // Stop reconciling and hand the Lease over first: the standby takes over meanwhile.
    await operator.stop();
    await ops.close();
    await nc.drain();
  });
}
