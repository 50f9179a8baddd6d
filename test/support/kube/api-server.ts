/**
 * An in-process Kubernetes API server for tests: the subset of the API that
 * the Parley operator (@kubernetes/client-node: informers, CRUD, merge/JSON
 * patch, status subresource, finalizers, Leases) and the real `kubectl`
 * (discovery, OpenAPI v3, client-side apply, server-side field validation,
 * Table printing, delete --wait) use, with the real server's formats.
 *
 *   const kube = await startKubeApiServer({ crds: ['crds/channels.parley.dev.yaml'] });
 *   // kubectl --kubeconfig kube.kubeconfigPath get channels -n demo
 *   await kube.stop();
 *
 * It serves https on 127.0.0.1 with a self-signed certificate (see tls.ts for
 * why not plain http) and requires the kubeconfig's bearer token. The pieces:
 * router.ts (paths, verbs), rest.ts (semantics), store.ts (resourceVersion,
 * history), watch.ts, schema.ts + cel.ts (pruning, defaults, validation),
 * discovery.ts, openapi.ts, table.ts, patch.ts, crd.ts, resources.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir } from '../process-cleanup.ts';
import { readCrdFiles } from './crd.ts';
import type { Obj } from './meta.ts';
import { OpenApi } from './openapi.ts';
import { Registry, builtinTypes, typeKey } from './resources.ts';
import { RestApi } from './rest.ts';
import type { RequestRecord, RouterContext } from './router.ts';
import { route } from './router.ts';
import { ObjectStore } from './store.ts';
import { selfSignedCert } from './tls.ts';
import type { ActiveWatch } from './watch.ts';

export type { Obj } from './meta.ts';
export type { RequestRecord } from './router.ts';

export interface KubeApiServerOptions {
  /** CRD YAML files to load at start (every CustomResourceDefinition document in them). */
  crds?: string[];
  /** Port on 127.0.0.1; default: any free port. */
  port?: number;
  /** Bearer token clients must send; default: random. */
  token?: string;
  /** Namespaces that exist at start. Default: default, kube-system, kube-public, kube-node-lease. */
  namespaces?: string[];
  /** Change events kept for watches; a watch from before them gets 410 Expired. Default 1000. */
  watchHistory?: number;
  /** BOOKMARK interval for watches with allowWatchBookmarks. Default 60s. */
  bookmarkIntervalMs?: number;
  /** Reported by /version; the gcloud kubectl dispatcher picks its kubectl minor from it. Default 1.32. */
  serverVersion?: { major: string; minor: string };
}

export interface KubeApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** A kubeconfig (context "parley-test", namespace "default") for this server. */
  kubeconfigPath: string;
  token: string;
  /** The server certificate, also the kubeconfig's certificate-authority-data. */
  caPem: string;
  stop(): Promise<void>;
  /**
   * Stored objects of a resource ("channels", "channels.parley.dev", a kind or
   * a short name), optionally in one namespace; copies, in storage form.
   */
  objects(resource: string, namespace?: string): Obj[];
  /** One stored object, or undefined. */
  object(resource: string, namespace: string | undefined, name: string): Obj | undefined;
  /** The current (global) resourceVersion. */
  resourceVersion(): string;
  /** Forget all watch history: a watch from any earlier resourceVersion gets 410 Expired. */
  compact(): void;
  /** Change the number of events kept for watches. */
  setWatchHistory(events: number): void;
  /** Ends every open watch stream (as an apiserver restart would); clients reconnect. */
  closeWatches(): void;
  /**
   * Stores an object directly (synchronously, no HTTP), through the same
   * admission as a create: for seeding state. Needs apiVersion and kind.
   */
  seed(obj: Obj): Obj;
  /** Requests served so far (most recent last, at most 2000). */
  requests(): RequestRecord[];
  /** x-kubernetes-validations rules the CEL subset could not evaluate (skipped), with the reason. */
  skippedRules(): Array<{ rule: string; why: string }>;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const registry = new Registry();
  for (const t of builtinTypes()) registry.add(t);
  const store = new ObjectStore(opts.watchHistory ?? 1000);
  const skipped = new Map<string, string>();
  const rest = new RestApi(registry, store, { onUnsupportedRule: (rule, why) => skipped.set(rule, why) });
  const serverVersion = opts.serverVersion ?? { major: '1', minor: '32' };
  const openapi = new OpenApi(registry, `v${serverVersion.major}.${serverVersion.minor}.0`);

  const nsType = registry.get('', 'namespaces');
  const crdType = registry.get('apiextensions.k8s.io', 'customresourcedefinitions');
  if (!nsType || !crdType) throw new Error('built-in types missing');
  for (const ns of opts.namespaces ?? DEFAULT_NAMESPACES) rest.createInternal(nsType, { metadata: { name: ns } });
  for (const crd of await readCrdFiles(opts.crds ?? [])) {
    const { apiVersion: _a, kind: _k, ...body } = crd;
    rest.createInternal(crdType, body);
  }

  const token = opts.token ?? randomBytes(24).toString('base64url');
  const { certPem, keyPem } = selfSignedCert();
  const watches = new Set<ActiveWatch>();
  const log: RequestRecord[] = [];
  let address = '';
  const ctx: RouterContext = {
    rest,
    openapi,
    token,
    serverAddress: () => address,
    serverVersion,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    watches,
    record(r) {
      log.push(r);
      if (log.length > 2000) log.splice(0, log.length - 2000);
    },
  };
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    void route(ctx, req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  const url = `https://${address}`;

  const dir = await mkdtemp(join(tmpdir(), 'parley-kube-'));
  const untrack = trackDir(dir);
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig(url, token, certPem), { mode: 0o600 });

  const resolveType = (resource: string): string => {
    const t = registry.resolve(resource);
    if (!t) throw new Error(`unknown resource ${resource}`);
    return typeKey(t);
  };

  let stopped = false;
  return {
    url,
    kubeconfigPath,
    token,
    caPem: certPem,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const w of [...watches]) w.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(dir, { recursive: true, force: true });
      untrack();
    },
    objects(resource, namespace) {
      return store.list(resolveType(resource), namespace).map((o) => structuredClone(o));
    },
    object(resource, namespace, name) {
      const o = store.get(resolveType(resource), namespace ?? '', name);
      return o ? structuredClone(o) : undefined;
    },
    resourceVersion: () => String(store.currentRv()),
    compact: () => store.compact(),
    setWatchHistory: (n) => store.setHistoryLimit(n),
    closeWatches() {
      for (const w of [...watches]) w.close();
    },
    seed(obj) {
      const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const type = registry.all().find((t) => t.group === group && t.kind === obj.kind);
      if (!type) throw new Error(`no resource type for ${apiVersion} ${String(obj.kind)}`);
      return rest.createInternal(type, obj);
    },
    requests: () => [...log],
    skippedRules: () => [...skipped].map(([rule, why]) => ({ rule, why })),
  };
}

/** The kubeconfig YAML for a server (JSON is valid YAML, and unambiguous). */
export function kubeconfig(url: string, token: string, caPem: string, namespace = 'default'): string {
  const name = 'parley-test';
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: name, user: name, namespace } }],
      'current-context': name,
      preferences: {},
    },
    null,
    2,
  )}\n`;
}

