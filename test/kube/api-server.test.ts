/**
 * The test Kubernetes API server, driven by the real `kubectl` and by
 * @kubernetes/client-node the way the operator uses it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeApiServer } from '../support/kube/api-server.ts';
import { startKubeApiServer } from '../support/kube/api-server.ts';
import type { KubectlResult } from '../support/kube/kubectl.ts';
import { kubectl } from '../support/kube/kubectl.ts';
import { waitFor } from '../support/wait-for.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'kube', 'fixtures');
const CRD = join(FIXTURES, 'widgets.fixtures.parley.dev.yaml');
const W = { group: 'fixtures.parley.dev', version: 'v1', namespace: 'demo', plural: 'widgets' };
const WIDGETS_PATH = '/apis/fixtures.parley.dev/v1/namespaces/demo/widgets';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Widget extends KubernetesObject {
  spec: Record<string, unknown>;
  status?: { observedGeneration?: number; conditions?: Array<Record<string, unknown>> };
}

interface StatusBody {
  kind: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason: string; message: string; field: string }> };
}

let server: KubeApiServer;
let kc: KubeConfig;
let custom: CustomObjectsApi;
let core: CoreV1Api;
let coord: CoordinationV1Api;
let dir: string;
let widgetA: Record<string, unknown>;

const k = (args: string[], stdin?: string): Promise<KubectlResult> =>
  kubectl(args, server.kubeconfigPath, stdin === undefined ? {} : { stdin });

/** `kubectl apply -f -` of one object. */
const apply = (obj: unknown, ...flags: string[]): Promise<KubectlResult> => k(['apply', '-f', '-', ...flags], stringify(obj));

const getW = async (name: string): Promise<Widget> => (await custom.getNamespacedCustomObject({ ...W, name })) as Widget;

function widget(name: string, spec: Record<string, unknown>, extraMeta: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'fixtures.parley.dev/v1',
    kind: 'Widget',
    metadata: { name, namespace: 'demo', ...extraMeta },
    spec: { method: 'round-robin', queue: 'support', ...spec },
  };
}

/** The Status body of a failed client-node call. */
async function failureOf(p: Promise<unknown>): Promise<StatusBody> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiException) return JSON.parse(String(err.body)) as StatusBody;
    throw err;
  }
  throw new Error('expected the call to fail');
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain https request to the test server, for status codes and headers. */
function raw(method: string, path: string, opts: { token?: string | null; body?: unknown; contentType?: string; accept?: string } = {}): Promise<RawResponse> {
  const url = new URL(path, server.url);
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? server.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.accept) headers.accept = opts.accept;
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: server.caPem }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface WatchEvent {
  type: string;
  object: { code?: number; reason?: string; metadata?: { name?: string; resourceVersion?: string; deletionTimestamp?: string; finalizers?: string[] } };
}

/** Collects watch events until `until` holds or the stream ends. */
async function collectWatch(
  path: string,
  query: Record<string, string | number | boolean>,
  until: (events: WatchEvent[]) => boolean,
  action?: () => Promise<void>,
): Promise<{ events: WatchEvent[]; ended: boolean }> {
  const events: WatchEvent[] = [];
  let ended = false;
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => events.push({ type, object: object as WatchEvent['object'] }),
    () => {
      ended = true;
    },
  );
  try {
    await action?.();
    await waitFor(() => (until(events) || ended ? true : undefined), { what: `watch events on ${path}`, timeoutMs: 10_000 });
  } finally {
    controller.abort();
  }
  return { events, ended };
}

beforeAll(async () => {
  server = await startKubeApiServer({ crds: [CRD] });
  kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  custom = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
  coord = kc.makeApiClient(CoordinationV1Api);
  dir = await mkdtemp(join(tmpdir(), 'parley-kube-test-'));
  widgetA = parse(await readFile(join(FIXTURES, 'widget-a.yaml'), 'utf8')) as Record<string, unknown>;
  const ns = await k(['create', 'namespace', 'demo']);
  expect(ns.stderr).toBe('');
  expect(ns.stdout).toBe('namespace/demo created\n');
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('authentication and discovery', () => {
  it('requires the kubeconfig bearer token, except for /version', async () => {
    for (const token of [null, 'wrong']) {
      const res = await raw('GET', '/api', { token });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    const version = await raw('GET', '/version', { token: null });
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body)).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
  });

  it('serves the discovery kubectl reads: groups, resources, short names, versions', async () => {
    const res = await k(['api-resources', '--api-group=fixtures.parley.dev']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^widgets\s+wd\s+fixtures\.parley\.dev\/v1\s+true\s+Widget$/m);

    const version = await k(['version']);
    expect(version.stdout).toContain('Server Version: v1.32.0');

    const empty = await k(['get', 'wd', '-n', 'demo']);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toBe('No resources found in demo namespace.\n');

    const groups = JSON.parse((await raw('GET', '/apis')).body) as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['apiextensions.k8s.io', 'coordination.k8s.io', 'fixtures.parley.dev']),
    );
    const list = JSON.parse((await raw('GET', '/apis/fixtures.parley.dev/v1')).body) as {
      resources: Array<{ name: string; verbs: string[]; categories?: string[] }>;
    };
    expect(list.resources.map((r) => r.name)).toEqual(['widgets', 'widgets/status']);
    expect(list.resources[0]?.categories).toEqual(['parley-fixtures']);
    expect(list.resources[1]?.verbs).toEqual(['get', 'patch', 'update']);
  });
});

describe('custom resources', () => {
  it('kubectl apply creates, a changed field updates and bumps generation', async () => {
    const created = await apply(widgetA);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('widget.fixtures.parley.dev/a created\n');

    const a = await getW('a');
    expect(a.metadata?.generation).toBe(1);
    expect(a.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata?.creationTimestamp).toBeDefined();
    expect(a.spec).toEqual({ method: 'round-robin', queue: 'support', replicas: 1, window: '72h' }); // defaults applied
    expect(a.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('"queue":"support"');

    const again = await apply(widgetA);
    expect(again.stdout).toBe('widget.fixtures.parley.dev/a unchanged\n');
    expect((await getW('a')).metadata?.resourceVersion).toBe(a.metadata?.resourceVersion);

    const changed = structuredClone(widgetA) as { spec: Record<string, unknown> };
    changed.spec.replicas = 3;
    const updated = await apply(changed);
    expect(updated.stdout).toBe('widget.fixtures.parley.dev/a configured\n');
    const a2 = await getW('a');
    expect(a2.metadata?.generation).toBe(2);
    expect(a2.spec.replicas).toBe(3);
    expect(Number(a2.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));

    // A metadata-only change is an update without a new generation.
    const relabelled = structuredClone(changed) as unknown as { metadata: { labels: Record<string, string> } };
    relabelled.metadata.labels.tier = 'gold';
    expect((await apply(relabelled)).stdout).toBe('widget.fixtures.parley.dev/a configured\n');
    const a3 = await getW('a');
    expect(a3.metadata?.labels).toEqual({ team: 'support', tier: 'gold' });
    expect(a3.metadata?.generation).toBe(2);
  });

  it('writes status only through the status subresource, without bumping generation', async () => {
    const before = await getW('a');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const patched = (await custom.patchNamespacedCustomObjectStatus(
      {
        ...W,
        name: 'a',
        body: {
          spec: { replicas: 9 }, // ignored: the status subresource only writes status
          status: {
            observedGeneration: 2,
            conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', lastTransitionTime: now }],
          },
        },
      },
      merge,
    )) as Widget;
    expect(patched.status?.conditions?.[0]?.reason).toBe('Reconciled');
    expect(patched.spec.replicas).toBe(3);
    expect(patched.metadata?.generation).toBe(before.metadata?.generation);
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));

    // Status written through the main resource is ignored (a no-op: same resourceVersion).
    const ignored = (await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { status: { observedGeneration: 99 } } }, merge)) as Widget;
    expect(ignored.status?.observedGeneration).toBe(2);
    expect(ignored.metadata?.resourceVersion).toBe(patched.metadata?.resourceVersion);

    // client-node's default patch type is JSON patch; a spec change bumps generation.
    const jsonPatched = (await custom.patchNamespacedCustomObject({
      ...W,
      name: 'a',
      body: [{ op: 'replace', path: '/spec/replicas', value: 4 }],
    })) as Widget;
    expect(jsonPatched.spec.replicas).toBe(4);
    expect(jsonPatched.metadata?.generation).toBe(3);
    expect(jsonPatched.status?.observedGeneration).toBe(2);

    // An invalid status is rejected like any other field.
    const bad = await failureOf(
      custom.patchNamespacedCustomObjectStatus({ ...W, name: 'a', body: { status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } } }, merge),
    );
    expect(bad.code).toBe(422);
    expect(bad.message).toContain(
      'Widget.fixtures.parley.dev "a" is invalid: [status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown", ',
    );
  });

  it('kubectl get prints the printer columns, with the Ready reason and a kubectl-style age', async () => {
    const res = await k(['get', 'widgets', '-n', 'demo']);
    expect(res.stderr).toBe('');
    const [header, row] = res.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+METHOD\s+REPLICAS\s+READY\s+AGE$/);
    expect(row).toMatch(/^a\s+round-robin\s+4\s+Reconciled\s+\d+s$/);

    const wide = await k(['get', 'wd', 'a', '-n', 'demo', '-o', 'wide']);
    expect(wide.stdout).toMatch(/^NAME\s+METHOD\s+REPLICAS\s+WINDOW\s+READY\s+AGE\n/);
    expect(wide.stdout).toMatch(/\na\s+round-robin\s+4\s+72h\s+Reconciled\s+\d+s\n$/);

    const table = await raw('GET', `${WIDGETS_PATH}?labelSelector=team%3Dsupport`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    });
    const body = JSON.parse(table.body) as {
      kind: string;
      columnDefinitions: Array<{ name: string; type: string; priority: number }>;
      rows: Array<{ cells: unknown[]; object: { kind: string; metadata: { name: string } } }>;
    };
    expect(body.kind).toBe('Table');
    expect(body.columnDefinitions.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['METHOD', 'string', 0],
      ['REPLICAS', 'integer', 0],
      ['WINDOW', 'string', 1],
      ['READY', 'string', 0],
      ['AGE', 'date', 0],
    ]);
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]?.cells.slice(0, 5)).toEqual(['a', 'round-robin', 4, '72h', 'Reconciled']);
    expect(body.rows[0]?.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'a' } });

    const none = await raw('GET', `${WIDGETS_PATH}?labelSelector=team%3Dsales`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect((JSON.parse(none.body) as { rows: unknown[] }).rows).toEqual([]);
  });

  it('rejects an invalid object with 422 and the fields named, like the apiserver', async () => {
    const bad = widget('bad', { method: 'fastest', replicas: 11, queue: 'Support', maxDepth: 5, tags: ['a', 'b', 'c', 'd'] });
    const res = await apply(bad);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('spec.method: Unsupported value: "fastest": supported values: "round-robin", "longest-idle", "skills"');
    expect(res.stderr).toContain('spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10');
    expect(res.stderr).toContain(
      `spec.queue: Invalid value: "Support": spec.queue in body should match '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'`,
    );
    expect(res.stderr).toContain('spec.tags: Too many: 4: must have at most 3 items');
    // Enum and size errors block the CEL rules, as in the apiserver.
    expect(res.stderr).toContain(
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    );
    expect(res.stderr).not.toContain('maxDepth needs an overflow queue');
    const cel = await apply(widget('bad', { maxDepth: 5 }));
    expect(cel.code).toBe(1);
    expect(cel.stderr).toBe('The Widget "bad" is invalid: spec: Invalid value: "object": maxDepth needs an overflow queue\n');

    const status = await failureOf(
      custom.createNamespacedCustomObject({ ...W, body: widget('bad', { method: 'fastest', queue: undefined, weights: [{ name: 'x' }, { name: 'x' }] }) }),
    );
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(status.details).toMatchObject({ name: 'bad', group: 'fixtures.parley.dev', kind: 'Widget' });
    expect(status.details?.causes).toEqual(
      expect.arrayContaining([
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "fastest": supported values: "round-robin", "longest-idle", "skills"',
          field: 'spec.method',
        },
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.queue' },
        { reason: 'FieldValueDuplicate', message: 'Duplicate value: map[string]interface {}{"name":"x"}', field: 'spec.weights[1]' },
      ]),
    );
    expect(status.message).toMatch(/^Widget\.fixtures\.parley\.dev "bad" is invalid: \[/);

    const wrongType = await failureOf(custom.createNamespacedCustomObject({ ...W, body: widget('bad', { replicas: 'three' }) }));
    expect(wrongType.details?.causes?.[0]).toEqual({
      reason: 'FieldValueTypeInvalid',
      message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      field: 'spec.replicas',
    });

    const badName = await failureOf(custom.createNamespacedCustomObject({ ...W, body: widget('Bad_Name', {}) }));
    expect(badName.details?.causes?.[0]?.field).toBe('metadata.name');
    expect(badName.details?.causes?.[0]?.message).toContain('a lowercase RFC 1123 subdomain must consist of');

    expect(server.object('widgets', 'demo', 'bad')).toBeUndefined();
  });

  it('rejects unknown fields with fieldValidation=Strict (kubectl default), warns with Warn', async () => {
    const unknownCreate = await apply(widget('u', { colour: 'blue' }));
    expect(unknownCreate.code).toBe(1);
    expect(unknownCreate.stderr).toContain(
      'Error from server (BadRequest): error when creating "STDIN": Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"',
    );

    // On an existing object kubectl patches: the apiserver answers 422 for the patch.
    const unknownPatch = await apply({ ...widgetA, spec: { ...(widgetA.spec as object), replicas: 4, colour: 'blue' } });
    expect(unknownPatch.code).toBe(1);
    expect(unknownPatch.stderr).toContain('strict decoding error: unknown field "spec.colour"');

    const warned = await apply(widget('u', { colour: 'blue', extra: { deep: 1 } }), '--validate=warn');
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('Warning: unknown field "spec.colour"');
    expect(warned.stderr).toContain('Warning: unknown field "spec.extra"');
    expect((await getW('u')).spec).not.toHaveProperty('colour');

    const ignored = await raw('POST', `${WIDGETS_PATH}?fieldValidation=Ignore`, { body: widget('u2', { colour: 'red' }) });
    expect(ignored.status).toBe(201);
    expect(ignored.headers.warning).toBeUndefined();
    const defaulted = await raw('POST', WIDGETS_PATH, { body: widget('u3', { colour: 'red' }) });
    expect(defaulted.status).toBe(201);
    expect(defaulted.headers.warning).toBe('299 - "unknown field \\"spec.colour\\""');

    for (const name of ['u', 'u2', 'u3']) await custom.deleteNamespacedCustomObject({ ...W, name });
  });

  it('update with a stale resourceVersion is a 409 Conflict, without one a 422', async () => {
    const a = await getW('a');
    await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { metadata: { labels: { bumped: 'yes' } } } }, merge);
    const stale = await failureOf(custom.replaceNamespacedCustomObject({ ...W, name: 'a', body: a }));
    expect(stale).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on widgets.fixtures.parley.dev "a": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'a', group: 'fixtures.parley.dev', kind: 'widgets' },
      code: 409,
    });

    const noRv = structuredClone(a);
    delete noRv.metadata?.resourceVersion;
    const missing = await failureOf(custom.replaceNamespacedCustomObject({ ...W, name: 'a', body: noRv }));
    expect(missing.code).toBe(422);
    expect(missing.message).toBe(
      'Widget.fixtures.parley.dev "a" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );

    const exists = await failureOf(custom.createNamespacedCustomObject({ ...W, body: widgetA }));
    expect(exists).toMatchObject({ reason: 'AlreadyExists', code: 409, message: 'widgets.fixtures.parley.dev "a" already exists' });
    const absent = await failureOf(custom.getNamespacedCustomObject({ ...W, name: 'nope' }));
    expect(absent).toMatchObject({
      reason: 'NotFound',
      code: 404,
      message: 'widgets.fixtures.parley.dev "nope" not found',
      details: { name: 'nope', group: 'fixtures.parley.dev', kind: 'widgets' },
    });
    const noNs = await failureOf(custom.createNamespacedCustomObject({ ...W, namespace: 'ghost', body: { ...widgetA, metadata: { name: 'a' } } }));
    expect(noNs).toMatchObject({ reason: 'NotFound', code: 404, message: 'namespaces "ghost" not found' });
  });
});

describe('watch', () => {
  it('a watch from a resourceVersion older than the retained history gets an ERROR event with 410 Expired', async () => {
    const list = (await custom.listNamespacedCustomObject(W)) as { metadata: { resourceVersion: string } };
    const old = list.metadata.resourceVersion;
    await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { metadata: { labels: { step: '1' } } } }, merge);

    // Still retained: the change is replayed.
    const replay = await collectWatch(WIDGETS_PATH, { resourceVersion: old }, (e) => e.length >= 1);
    expect(replay.events[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'a' } } });

    server.compact();
    const expired = await collectWatch(WIDGETS_PATH, { resourceVersion: old }, () => false);
    expect(expired.ended).toBe(true);
    expect(expired.events).toHaveLength(1);
    expect(expired.events[0]?.type).toBe('ERROR');
    expect(expired.events[0]?.object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });

    // A bounded window: with 2 events kept, a watch from before the last 2 changes expires.
    server.setWatchHistory(2);
    try {
      const rv0 = server.resourceVersion();
      for (const step of ['2', '3', '4']) {
        await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { metadata: { labels: { step } } } }, merge);
      }
      const tooOld = await collectWatch(WIDGETS_PATH, { resourceVersion: rv0 }, () => false);
      expect(tooOld.events[0]?.object.code).toBe(410);
      const recent = await collectWatch(WIDGETS_PATH, { resourceVersion: String(Number(rv0) + 1) }, (e) => e.length >= 2);
      expect(recent.events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED']);
    } finally {
      server.setWatchHistory(1000);
    }
  });

  it('resourceVersion 0 starts with the current objects; timeoutSeconds and bookmarks are honoured', async () => {
    const initial = await collectWatch(WIDGETS_PATH, { resourceVersion: '0' }, (e) => e.length >= 1);
    expect(initial.events.map((e) => [e.type, e.object.metadata?.name])).toEqual([['ADDED', 'a']]);

    const other = await startKubeApiServer({ crds: [CRD], bookmarkIntervalMs: 100 });
    try {
      const okc = new KubeConfig();
      okc.loadFromFile(other.kubeconfigPath);
      const events: string[] = [];
      const started = Date.now();
      const done = new Promise<void>((resolve) => {
        void new Watch(okc).watch(
          '/api/v1/namespaces',
          { allowWatchBookmarks: true, timeoutSeconds: 1, resourceVersion: other.resourceVersion() },
          (type) => events.push(type),
          () => resolve(),
        );
      });
      await done;
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(events.filter((t) => t === 'BOOKMARK').length).toBeGreaterThanOrEqual(3);
      expect(events.every((t) => t === 'BOOKMARK')).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('a selector watch sees objects leave and enter the selection as DELETED and ADDED', async () => {
    const { events } = await collectWatch(
      WIDGETS_PATH,
      { resourceVersion: server.resourceVersion(), labelSelector: 'tier=gold' },
      (e) => e.length >= 3,
      async () => {
        await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { metadata: { labels: { tier: 'silver' } } } }, merge);
        await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { spec: { replicas: 5 } } }, merge); // not selected: no event
        await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { metadata: { labels: { tier: 'gold' } } } }, merge);
        await custom.patchNamespacedCustomObject({ ...W, name: 'a', body: { spec: { replicas: 4 } } }, merge);
      },
    );
    expect(events.map((e) => e.type)).toEqual(['DELETED', 'ADDED', 'MODIFIED']);
  });

  it('the @kubernetes/client-node informer sees add, update and delete, and re-lists after 410', async () => {
    const seen: string[] = [];
    const informer = makeInformer<KubernetesObject>(kc, WIDGETS_PATH, async () => {
      return (await custom.listNamespacedCustomObject(W)) as never;
    });
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await waitFor(() => (seen.includes('add a') ? true : undefined), { what: 'informer list' });
      await custom.createNamespacedCustomObject({ ...W, body: widget('inf', {}) });
      await waitFor(() => (seen.includes('add inf') ? true : undefined), { what: 'informer add' });
      await custom.patchNamespacedCustomObject({ ...W, name: 'inf', body: { spec: { replicas: 2 } } }, merge);
      await waitFor(() => (seen.includes('update inf') ? true : undefined), { what: 'informer update' });
      await custom.deleteNamespacedCustomObject({ ...W, name: 'inf' });
      await waitFor(() => (seen.includes('delete inf') ? true : undefined), { what: 'informer delete' });
      expect(informer.get('inf', 'demo')).toBeUndefined();
      expect(informer.get('a', 'demo')).toBeDefined();

      // The watch drops; before the informer reconnects, a change lands and the history is
      // compacted, so its resourceVersion has expired: it gets 410 and re-lists.
      const lists = (): number => server.requests().filter((r) => r.path === WIDGETS_PATH && r.method === 'GET' && !r.query.includes('watch')).length;
      const listsBefore = lists();
      server.closeWatches();
      server.seed(widget('late', {}));
      server.compact();
      await waitFor(() => (seen.includes('add late') ? true : undefined), { what: 'informer re-list after 410' });
      expect(lists()).toBe(listsBefore + 1);
      expect(errors).toEqual([]);
      await custom.deleteNamespacedCustomObject({ ...W, name: 'late' });
    } finally {
      await informer.stop();
    }
  });
});

describe('deletion', () => {
  it('finalizers keep a deleted object (with deletionTimestamp) until they are removed', async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...W,
      body: widget('f', {}, { finalizers: ['fixtures.parley.dev/cleanup'] }),
    })) as Widget;
    const watched = collectWatch(
      WIDGETS_PATH,
      { resourceVersion: created.metadata?.resourceVersion ?? '', fieldSelector: 'metadata.name=f' },
      (e) => e.some((x) => x.type === 'DELETED'),
    );

    const deleting = (await custom.deleteNamespacedCustomObject({ ...W, name: 'f' })) as Widget;
    expect(deleting.metadata?.deletionTimestamp).toBeDefined();
    expect(deleting.metadata?.generation).toBe(2);
    const still = await getW('f');
    expect(still.metadata?.deletionTimestamp).toBe(deleting.metadata?.deletionTimestamp);

    const again = await k(['delete', 'widget', 'f', '-n', 'demo', '--wait=false']);
    expect(again.stdout).toBe('widget.fixtures.parley.dev "f" deleted\n');
    expect(server.object('widgets', 'demo', 'f')).toBeDefined();

    const added = await failureOf(
      custom.patchNamespacedCustomObject({ ...W, name: 'f', body: { metadata: { finalizers: ['fixtures.parley.dev/cleanup', 'x.dev/more'] } } }, merge),
    );
    expect(added.code).toBe(422);
    expect(added.message).toContain('no new finalizers can be added if the object is being deleted, found new finalizers []string{"x.dev/more"}');

    await custom.patchNamespacedCustomObject({ ...W, name: 'f', body: { metadata: { finalizers: null } } }, merge);
    expect((await failureOf(getW('f'))).code).toBe(404);

    const { events } = await watched;
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'DELETED']);
    expect(events[0]?.object.metadata?.deletionTimestamp).toBeDefined();
    expect(events[1]?.object.metadata?.finalizers).toBeUndefined();
  });

  it('kubectl delete removes an object and waits for it to be gone', async () => {
    expect((await apply(widget('d', {}))).code).toBe(0);
    const res = await k(['delete', 'widget', 'd', '-n', 'demo']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('widget.fixtures.parley.dev "d" deleted\n');
    const gone = await k(['get', 'widget', 'd', '-n', 'demo']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error from server (NotFound): widgets.fixtures.parley.dev "d" not found\n');
    const status = JSON.parse((await raw('DELETE', `${WIDGETS_PATH}/a-missing`)).body) as StatusBody;
    expect(status.code).toBe(404);
  });

  it('deleting a namespace deletes what is in it, then the namespace', async () => {
    expect((await k(['create', 'namespace', 'scratch'])).code).toBe(0);
    await custom.createNamespacedCustomObject({ ...W, namespace: 'scratch', body: { ...widget('s', {}), metadata: { name: 's' } } });
    const res = await k(['delete', 'namespace', 'scratch']);
    expect(res.stdout).toBe('namespace "scratch" deleted\n');
    expect(server.objects('widgets', 'scratch')).toEqual([]);
    expect(server.object('namespaces', undefined, 'scratch')).toBeUndefined();
  });
});

describe('built-in kinds', () => {
  it('namespaces, configmaps and secrets (kubectl create sends these as protobuf)', async () => {
    const cm = await k(['create', 'configmap', 'settings', '-n', 'demo', '--from-literal=a=1', '--from-literal=b=two']);
    expect(cm.stdout).toBe('configmap/settings created\n');
    const secret = await k(['create', 'secret', 'generic', 'creds', '-n', 'demo', '--from-literal=token=s3cret']);
    expect(secret.stdout).toBe('secret/creds created\n');

    const read = await core.readNamespacedSecret({ name: 'creds', namespace: 'demo' });
    expect(read.type).toBe('Opaque');
    expect(Buffer.from(read.data?.token ?? '', 'base64').toString()).toBe('s3cret');
    const cmRead = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'demo' });
    expect(cmRead.data).toEqual({ a: '1', b: 'two' });

    const ns = await k(['get', 'namespaces']);
    expect(ns.stdout).toMatch(/^NAME\s+STATUS\s+AGE\n/);
    expect(ns.stdout).toMatch(/\ndemo\s+Active\s+\d+s\n/);
    const secrets = await k(['get', 'secrets', '-n', 'demo']);
    expect(secrets.stdout).toMatch(/\ncreds\s+Opaque\s+1\s+\d+s\n$/);

    await core.createNamespacedEvent({
      namespace: 'demo',
      body: {
        metadata: { name: 'a.reconciled' },
        involvedObject: { kind: 'Widget', name: 'a', namespace: 'demo', apiVersion: 'fixtures.parley.dev/v1' },
        reason: 'Reconciled',
        message: 'all good',
        type: 'Normal',
      },
    });
    const events = await core.listNamespacedEvent({ namespace: 'demo', fieldSelector: 'involvedObject.name=a' });
    expect(events.items.map((e) => e.reason)).toEqual(['Reconciled']);
  });

  it('leases support leader election: create, then replace with optimistic concurrency', async () => {
    const now = new Date();
    const lease = await coord.createNamespacedLease({
      namespace: 'demo',
      body: { metadata: { name: 'parley-operator' }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: now, renewTime: now } },
    });
    expect(lease.spec?.holderIdentity).toBe('pod-a');

    const seenByA = await coord.readNamespacedLease({ name: 'parley-operator', namespace: 'demo' });
    const seenByB = await coord.readNamespacedLease({ name: 'parley-operator', namespace: 'demo' });
    const renewed = await coord.replaceNamespacedLease({
      name: 'parley-operator',
      namespace: 'demo',
      body: { ...seenByA, spec: { ...seenByA.spec, renewTime: new Date() } },
    });
    expect(renewed.metadata?.resourceVersion).not.toBe(seenByA.metadata?.resourceVersion);
    const takeover = await failureOf(
      coord.replaceNamespacedLease({
        name: 'parley-operator',
        namespace: 'demo',
        body: { ...seenByB, spec: { ...seenByB.spec, holderIdentity: 'pod-b', leaseTransitions: 1 } },
      }),
    );
    expect(takeover).toMatchObject({ reason: 'Conflict', code: 409, details: { group: 'coordination.k8s.io', kind: 'leases' } });

    const get = await k(['get', 'leases', '-n', 'demo']);
    expect(get.stdout).toMatch(/^NAME\s+HOLDER\s+AGE\nparley-operator\s+pod-a\s+\d+s\n$/);
  });

  it('kubectl apply of a CRD registers a new kind at runtime; deleting it removes the kind', async () => {
    const crd = parse(await readFile(CRD, 'utf8')) as { metadata: { name: string }; spec: { names: Record<string, unknown> } };
    crd.metadata.name = 'gadgets.fixtures.parley.dev';
    crd.spec.names = { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', shortNames: ['gd'] };
    const file = join(dir, 'gadgets.yaml');
    await writeFile(file, stringify(crd));
    const res = await k(['apply', '-f', file]);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('customresourcedefinition.apiextensions.k8s.io/gadgets.fixtures.parley.dev created\n');
    const crdGet = await k(['get', 'crd', 'gadgets.fixtures.parley.dev', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
    expect(crdGet.stdout).toBe('True');

    const g = { apiVersion: 'fixtures.parley.dev/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'demo' }, spec: { method: 'skills', queue: 'q' } };
    expect((await apply(g)).stdout).toBe('gadget.fixtures.parley.dev/g1 created\n');
    expect((await k(['get', 'gd', '-n', 'demo', '-o', 'name'])).stdout).toBe('gadget.fixtures.parley.dev/g1\n');

    expect((await k(['delete', '-f', file])).stdout).toBe('customresourcedefinition.apiextensions.k8s.io "gadgets.fixtures.parley.dev" deleted\n');
    const resources = JSON.parse((await raw('GET', '/apis/fixtures.parley.dev/v1')).body) as { resources: Array<{ name: string }> };
    expect(resources.resources.map((r) => r.name)).not.toContain('gadgets');
    expect((await raw('GET', '/apis/fixtures.parley.dev/v1/namespaces/demo/gadgets')).status).toBe(404);
    // kubectl's cached discovery still lists gadgets, so it gets the 404 a real apiserver sends.
    const after = await k(['get', 'gadgets', '-n', 'demo']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('the server could not find the requested resource');
  });
});
