/**
 * The Helm chart (charts/parley): `helm lint`, `helm template` with several value sets,
 * and checks on the rendered manifests — probes, limits and security settings on every
 * container, the operator's RBAC, Service selectors, the values schema, alerts and the
 * dashboard on metrics that exist, and CRDs identical to crds/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { gatewayMetrics } from '../../src/gateway/metrics.ts';
import { createRouterMetrics } from '../../src/metrics/router-metrics.ts';
import { helm, helmBinary } from '../support/helm.ts';
import {
  chartDir,
  containersOf,
  envOf,
  labelsMatch,
  nameOf,
  namespace,
  release,
  render,
  repoRoot,
  stageChart,
  template,
  workloadKinds,
  type Manifest,
  type PolicyRule,
  type Rendered,
  type Role,
  type RoleBinding,
  type Service,
  type Workload,
} from './manifests.ts';

const monitoring = {
  metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, grafanaDashboard: { enabled: true } },
};
const externalSecrets = {
  database: { existingSecret: 'pg-credentials', existingSecretKey: 'DATABASE_URL' },
  auth: { existingSecret: 'gateway-tokens', existingSecretKey: 'secret' },
};
const namespacedRbac = { rbac: { namespaced: true, namespaces: ['tenant-a', 'tenant-b'] } };
const bundled = { nats: { enabled: true }, postgresql: { enabled: true }, channels: { enabled: true } };

let chart: { dir: string; stubs: string[]; remove(): Promise<void> };
const combinations: Record<string, object> = {
  defaults: {},
  monitoring,
  'external secrets': externalSecrets,
  'rbac.namespaced': namespacedRbac,
  'bundled NATS and PostgreSQL, channels': bundled,
  'everything at once': { ...monitoring, ...externalSecrets, ...namespacedRbac, channels: { enabled: true } },
};
const rendered = new Map<string, Rendered>();

beforeAll(async () => {
  await helmBinary(); // fails here, with how to get helm, when it cannot be had
  chart = await stageChart();
  for (const [name, values] of Object.entries(combinations)) rendered.set(name, await render(chart.dir, values));
}, 180_000);

afterAll(async () => {
  await chart?.remove();
});

function get(name: string): Rendered {
  const r = rendered.get(name);
  if (!r) throw new Error(`no rendering "${name}"`);
  return r;
}

function workloads(r: Rendered): Workload[] {
  return r.all.filter((m) => workloadKinds.includes(m.kind)) as Workload[];
}

describe('helm lint', () => {
  it('passes on the chart as committed, warning only about dependencies not built yet', async () => {
    const result = await helm(['lint', chartDir]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const warnings = result.stdout.split('\n').filter((line) => line.startsWith('[WARNING]') || line.startsWith('[ERROR]'));
    const expected = chart.stubs.length > 0 ? [expect.stringMatching(`chart directory is missing these dependencies: ${chart.stubs.join(',')}$`)] : [];
    expect(warnings).toEqual(expected);
  });

  it('passes --strict once the dependencies are present (stand-ins when not built: no network)', async () => {
    for (const values of [[], ['--set', 'metrics.prometheusRule.enabled=true,metrics.serviceMonitor.enabled=true,channels.enabled=true']]) {
      const result = await helm(['lint', '--strict', chart.dir, ...values]);
      expect(result.status, result.stdout + result.stderr).toBe(0);
    }
  });

  it('says to run `helm dependency build` when the dependencies are missing', async ({ skip }) => {
    if (chart.stubs.length === 0) skip('the dependencies are built in charts/parley/charts');
    const result = await helm(['template', 'demo', chartDir]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/helm dependency build/);
  });
});

describe.each(Object.keys(combinations))('helm template (%s)', (name) => {
  it('gives every container requests, limits, liveness and readiness probes and a locked-down securityContext', () => {
    const all = workloads(get(name));
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const workload of all) {
      const pod = workload.spec.template.spec;
      const where = `${workload.kind} ${workload.metadata.name}`;
      expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
      for (const c of containersOf(workload)) {
        const at = `${where}, container ${c.name}`;
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) expect(c.resources?.[kind]?.[resource], `${at}: ${kind}.${resource}`).toBeDefined();
        }
        for (const probe of [c.livenessProbe, c.readinessProbe]) {
          expect(probe?.httpGet, at).toBeDefined();
          // Probes name a port the container declares.
          expect(c.ports?.map((p) => p.name), at).toContain(probe?.httpGet?.port);
        }
        expect(c.livenessProbe?.httpGet?.path, at).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path, at).toBe('/readyz');
        expect(c.securityContext, at).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext?.capabilities?.drop, at).toContain('ALL');
        expect(c.securityContext?.capabilities?.add ?? [], at).toEqual([]);
        // A read-only root filesystem still needs a writable /tmp (tsx's cache).
        expect(c.volumeMounts?.map((m) => m.mountPath), at).toContain('/tmp');
      }
    }
  });

  it('has Services, PDBs and ServiceMonitors that select exactly the pods they mean', () => {
    const r = get(name);
    const pods = workloads(r);
    for (const service of r.kind<Service>('Service')) {
      const component = service.metadata.labels?.['app.kubernetes.io/component'];
      const selected = pods.filter((w) => labelsMatch(service.spec.selector, w.spec.template.metadata.labels));
      expect(
        selected.map((w) => w.metadata.name),
        service.metadata.name,
      ).toEqual([nameOf(component ?? '?')]);
      const ports = selected[0]?.spec.template.spec.containers.flatMap((c) => c.ports ?? []) ?? [];
      for (const port of service.spec.ports) expect(ports.map((p) => p.name), service.metadata.name).toContain(port.targetPort);
    }
    for (const pdb of r.kind('PodDisruptionBudget')) {
      const selector = (pdb as Manifest & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable: number } }).spec;
      expect(selector.maxUnavailable).toBe(1);
      const selected = pods.filter((w) => labelsMatch(selector.selector.matchLabels, w.spec.template.metadata.labels));
      expect(selected.map((w) => w.metadata.name)).toEqual([pdb.metadata.name]);
    }
    for (const workload of pods) {
      expect(labelsMatch(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels), workload.metadata.name).toBe(true);
    }
    for (const sm of r.kind('ServiceMonitor')) {
      const spec = (sm as Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] } }).spec;
      const services = r.kind<Service>('Service').filter((s) => labelsMatch(spec.selector.matchLabels, s.metadata.labels));
      expect(services.map((s) => s.metadata.name)).toEqual([sm.metadata.name]);
      for (const endpoint of spec.endpoints) expect(services[0]?.spec.ports.map((p) => p.name)).toContain(endpoint.port);
    }
  });

  it('grants the operator exactly what it uses, and nothing to the other pods', () => {
    const r = get(name);
    const roles = [...r.kind<Role>('ClusterRole'), ...r.kind<Role>('Role')];
    for (const role of roles) {
      for (const rule of role.rules) {
        expect(rule.verbs, role.metadata.name).not.toContain('*');
        expect(rule.resources ?? [], role.metadata.name).not.toContain('*');
        expect(rule.apiGroups ?? [], role.metadata.name).not.toContain('*');
        expect(rule.nonResourceURLs, role.metadata.name).toBeUndefined();
      }
    }
    const namespaced = (combinations[name] as { rbac?: { namespaced?: boolean } }).rbac?.namespaced === true;
    const grants = (rules: PolicyRule[]) => rules.flatMap((rule) => (rule.apiGroups ?? []).flatMap((g) => (rule.resources ?? []).flatMap((res) => rule.verbs.map((v) => `${g || 'core'}/${res}:${v}`)))).sort();
    const operatorGrants = [
      ...['channels', 'queues', 'campaigns'].flatMap((res) => [
        ...['get', 'list', 'watch', 'update', 'patch'].map((v) => `parley.dev/${res}:${v}`),
        ...['get', 'update', 'patch'].map((v) => `parley.dev/${res}/status:${v}`),
        `parley.dev/${res}/finalizers:update`,
      ]),
    ].sort();
    const leaseGrants = ['coordination.k8s.io/leases:create', 'coordination.k8s.io/leases:get', 'coordination.k8s.io/leases:update'];

    const leaderElection = r.one<Role>('Role', `${nameOf('operator')}-leader-election`);
    expect(leaderElection.metadata.namespace).toBe(namespace);
    expect(grants(leaderElection.rules)).toEqual(leaseGrants);
    const operatorRoles = roles.filter((role) => role !== leaderElection);
    if (namespaced) {
      expect(r.kind('ClusterRole')).toEqual([]);
      expect(r.kind('ClusterRoleBinding')).toEqual([]);
      expect(operatorRoles.map((role) => role.metadata.namespace).sort()).toEqual(['tenant-a', 'tenant-b']);
    } else {
      expect(operatorRoles.map((role) => role.kind)).toEqual(['ClusterRole']);
    }
    for (const role of operatorRoles) expect(grants(role.rules), role.metadata.name).toEqual(operatorGrants);

    // Every binding binds one of those roles to the operator's ServiceAccount, and only it.
    const bindings = [...r.kind<RoleBinding>('ClusterRoleBinding'), ...r.kind<RoleBinding>('RoleBinding')];
    expect(bindings).toHaveLength(roles.length);
    for (const binding of bindings) {
      const role = roles.find((x) => x.kind === binding.roleRef.kind && x.metadata.name === binding.roleRef.name && x.metadata.namespace === binding.metadata.namespace);
      expect(role, binding.metadata.name).toBeDefined();
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: nameOf('operator'), namespace }]);
    }
    const operator = r.one<Workload>('Deployment', nameOf('operator'));
    expect(operator.spec.template.spec.serviceAccountName).toBe(nameOf('operator'));
    expect(envOf(operator.spec.template.spec.containers[0]!, 'PARLEY_WATCH_NAMESPACES')?.value).toBe(namespaced ? 'tenant-a,tenant-b' : '');
    for (const w of workloads(r).filter((x) => x !== operator)) {
      expect(w.spec.template.spec.serviceAccountName, w.metadata.name).toBe(`${release}-parley`);
      expect(w.spec.template.spec.automountServiceAccountToken, w.metadata.name).toBe(false);
    }
  });
});

describe('helm template: the roles', () => {
  it('runs the router as a StatefulSet, the gateway and the operator as Deployments, channels off', () => {
    const r = get('defaults');
    const router = r.one<Workload>('StatefulSet', nameOf('router'));
    const gateway = r.one<Workload>('Deployment', nameOf('gateway'));
    const operator = r.one<Workload>('Deployment', nameOf('operator'));
    expect(workloads(r)).toHaveLength(3);
    // The routers are a cluster: several replicas share the partitions, and a PDB keeps all but one up.
    expect(router.spec.replicas).toBe(3);
    expect(r.kind('PodDisruptionBudget').map((p) => p.metadata.name)).toContain(nameOf('router'));
    expect(router.spec.serviceName).toBe(nameOf('router'));
    expect(r.one<Service>('Service', nameOf('router')).spec.clusterIP).toBe('None');
    expect(gateway.spec.replicas).toBe(2);
    expect(operator.spec.replicas).toBe(2);
    const images = new Set(workloads(r).flatMap((w) => containersOf(w).map((c) => c.image)));
    expect([...images]).toEqual(['ghcr.io/parley/parley:0.1.0']);
    expect(router.spec.template.spec.containers[0]?.command).toEqual(['node', 'bin/parley.js', 'router']);
    expect(gateway.spec.template.spec.containers[0]?.command).toEqual(['node', 'bin/parley.js', 'gateway']);
    expect(operator.spec.template.spec.containers[0]?.command).toEqual(['node', 'bin/parley.js', 'operator']);
    const routerContainer = router.spec.template.spec.containers[0]!;
    expect(envOf(routerContainer, 'PARLEY_OPS_PORT')?.value).toBe('9090');
    expect(envOf(routerContainer, 'PARLEY_HOST')?.value).toBe('0.0.0.0');
    expect(envOf(routerContainer, 'NATS_URL')?.value).toBe('nats://nats:4222');
    // No folder: the operator feeds the configuration bucket.
    expect(envOf(routerContainer, 'PARLEY_CONFIG')).toBeUndefined();
    // Each pod's name is its node id in the cluster (unique, stable across restarts); the
    // partition count and the lease time are the chart's, the same for every replica.
    expect(envOf(routerContainer, 'PARLEY_NODE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(envOf(routerContainer, 'PARLEY_NODE_ID')?.value).toBeUndefined();
    expect(envOf(routerContainer, 'PARLEY_PARTITIONS')?.value).toBe('64');
    expect(envOf(routerContainer, 'PARLEY_LEASE_MS')?.value).toBe('10000');
    expect(envOf(gateway.spec.template.spec.containers[0]!, 'PARLEY_PORT')?.value).toBe('8080');
  });

  it('puts DATABASE_URL and a generated token secret in Secrets, or reads the ones given', async () => {
    const r = get('defaults');
    const gateway = r.one<Workload>('Deployment', nameOf('gateway')).spec.template.spec.containers[0]!;
    expect(envOf(gateway, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: nameOf('database'), key: 'url' });
    expect(envOf(gateway, 'PARLEY_AUTH_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: nameOf('auth'), key: 'auth-secret' });
    const database = r.one<Manifest & { data: Record<string, string> }>('Secret', nameOf('database'));
    expect(Buffer.from(database.data.url!, 'base64').toString()).toBe('postgres://parley@postgresql:5432/parley');
    // `helm template` has no cluster: lookup finds nothing and a secret is generated.
    const generated = r.one<Manifest & { data: Record<string, string> }>('Secret', nameOf('auth'));
    expect(Buffer.from(generated.data['auth-secret']!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    const given = await render(chart.dir, { auth: { secret: 's3cret' } });
    expect(given.one<Manifest & { data: Record<string, string> }>('Secret', nameOf('auth')).data['auth-secret']).toBe(Buffer.from('s3cret').toString('base64'));

    const external = get('external secrets');
    expect(external.kind('Secret')).toEqual([]);
    for (const w of workloads(external).filter((x) => x.metadata.name !== nameOf('operator'))) {
      expect(envOf(w.spec.template.spec.containers[0]!, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'DATABASE_URL' });
    }
    const externalGateway = external.one<Workload>('Deployment', nameOf('gateway')).spec.template.spec.containers[0]!;
    expect(envOf(externalGateway, 'PARLEY_AUTH_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'gateway-tokens', key: 'secret' });
    // The operator needs neither.
    const operator = external.one<Workload>('Deployment', nameOf('operator')).spec.template.spec.containers[0]!;
    expect(envOf(operator, 'DATABASE_URL')).toBeUndefined();
  });

  it('points at the bundled NATS and PostgreSQL charts when they are enabled', () => {
    const r = get('bundled NATS and PostgreSQL, channels');
    // The `condition:` of each dependency switches it on (visible through the stand-ins).
    const stubs = chart.stubs.map((stub) => `stub-${stub}`).sort();
    expect(r.kind('ConfigMap').map((m) => m.metadata.name).filter((n) => n.startsWith('stub-')).sort()).toEqual(stubs);
    expect(get('defaults').kind('ConfigMap').filter((m) => m.metadata.name.startsWith('stub-'))).toEqual([]);
    const router = r.one<Workload>('StatefulSet', nameOf('router')).spec.template.spec.containers[0]!;
    expect(envOf(router, 'NATS_URL')?.value).toBe('nats://demo-nats:4222');
    expect(envOf(router, 'PARLEY_DATABASE_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'demo-postgresql', key: 'password' });
    expect(envOf(router, 'DATABASE_URL')?.value).toBe('postgres://parley:$(PARLEY_DATABASE_PASSWORD)@demo-postgresql:5432/parley');
    // The password variable comes first: Kubernetes expands $(VAR) only from earlier entries.
    const names = router.env?.map((e) => e.name) ?? [];
    expect(names.indexOf('PARLEY_DATABASE_PASSWORD')).toBeLessThan(names.indexOf('DATABASE_URL'));
    expect(r.kind('Secret').map((s) => s.metadata.name)).not.toContain(nameOf('database'));
    const channels = r.one<Workload>('Deployment', nameOf('channels'));
    expect(channels.spec.template.spec.containers[0]?.command).toEqual(['node', 'bin/parley.js', 'channels']);
  });

  it('gives every router the same partition count and lease time, from the values', async () => {
    const r = await render(chart.dir, { router: { replicas: 5, partitions: 128, leaseMs: 15000 } });
    const router = r.one<Workload>('StatefulSet', nameOf('router'));
    expect(router.spec.replicas).toBe(5);
    const container = router.spec.template.spec.containers[0]!;
    expect(envOf(container, 'PARLEY_PARTITIONS')?.value).toBe('128');
    expect(envOf(container, 'PARLEY_LEASE_MS')?.value).toBe('15000');
    // The graceful hand-over on SIGTERM needs time: the grace period stays well above the ack wait (10 s).
    expect(router.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    // `helm upgrade --reuse-values` from a release whose values lack the keys: the templates' own defaults.
    const reused = await render(chart.dir, { router: { partitions: null, leaseMs: null } });
    const reusedContainer = reused.one<Workload>('StatefulSet', nameOf('router')).spec.template.spec.containers[0]!;
    expect(envOf(reusedContainer, 'PARLEY_PARTITIONS')?.value).toBe('64');
    expect(envOf(reusedContainer, 'PARLEY_LEASE_MS')?.value).toBe('10000');
  });

  it('mounts config.resources as the router folder (PARLEY_CONFIG) when the operator is off', async () => {
    const examples: unknown[] = [];
    for (const file of ['channels.yaml', 'queues.yaml']) {
      for (const doc of parseAllDocuments(await readFile(join(repoRoot, 'examples', file), 'utf8'))) examples.push(doc.toJS());
    }
    const values = { operator: { enabled: false }, config: { resources: examples } };
    const r = await render(chart.dir, values);
    const configMap = r.one<Manifest & { data: Record<string, string> }>('ConfigMap', nameOf('config'));
    const back = parseAllDocuments(configMap.data['resources.yaml']!).map((doc) => doc.toJS() as unknown);
    expect(back).toEqual(examples);
    const router = r.one<Workload>('StatefulSet', nameOf('router'));
    const container = router.spec.template.spec.containers[0]!;
    expect(envOf(container, 'PARLEY_CONFIG')?.value).toBe('/etc/parley/config');
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: 'config', mountPath: '/etc/parley/config' }));
    expect(router.spec.template.spec.volumes).toContainEqual({ name: 'config', configMap: { name: nameOf('config') } });
    // The router reads the folder at start: a change of resources rolls the pods.
    const checksum = router.spec.template.metadata.annotations?.['checksum/config'];
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const changed = await render(chart.dir, { ...values, config: { resources: examples.slice(1) } });
    expect(changed.one<Workload>('StatefulSet', nameOf('router')).spec.template.metadata.annotations?.['checksum/config']).not.toBe(checksum);
    expect(r.kind('Deployment').map((d) => d.metadata.name)).toEqual([nameOf('gateway')]);
    expect(r.kind('ClusterRole')).toEqual([]);
  });
});

describe('values.schema.json and the chart refuse bad values', () => {
  it.each([
    [['--set', 'router.replicas=abc'], /router\.replicas: Invalid type. Expected: integer, given: string/],
    [['--set', 'logLevel=verbose'], /logLevel/],
    [['--set', 'image.pullPolicy=Sometimes'], /image\.pullPolicy/],
    [['--set', 'router.replica=3'], /Additional property replica is not allowed/],
    [['--set', 'router.partitions=0'], /router\.partitions: Must be greater than or equal to 1/],
    [['--set', 'router.partitions=2048'], /router\.partitions: Must be less than or equal to 1024/],
    [['--set', 'router.leaseMs=500'], /router\.leaseMs: Must be greater than or equal to 1000/],
    [['--set', 'router.leaseMs=10s'], /router\.leaseMs: Invalid type. Expected: integer, given: string/],
    [['--set', 'securityContext.readOnlyRootFilesystem=false'], /readOnlyRootFilesystem/],
    [['--set', 'database.url=mysql://x'], /database\.url/],
    [['--set', 'rbac.namespaced=true'], /rbac\.namespaces/],
    [['--set', 'gateway.resources.limits=null'], /limits/],
  ])('%j', async (args, message) => {
    const result = await template(chart.dir, {}, args);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('refuses folder mode (config.resources) together with the operator', async () => {
    const queue = { apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: 'demo' }, spec: {} };
    const result = await template(chart.dir, { config: { resources: [queue] } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/cannot be used together/);
  });
});

describe('monitoring', () => {
  /** Metric names the code registers today, with the series a histogram exports. */
  async function knownMetrics(): Promise<Set<string>> {
    const registry = new Registry();
    createRouterMetrics(registry);
    gatewayMetrics(registry);
    collectDefaultMetrics({ register: registry });
    const names = new Set(['up']);
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    }
    return names;
  }
  const metricNames = (expr: string) => [...expr.matchAll(/\b(?:parley|nodejs|process)_[a-z0-9_]+|\bup(?=\{)/g)].map((m) => m[0]);

  it('alerts only on metrics that exist, with a severity on every rule', async () => {
    const known = await knownMetrics();
    const rule = get('monitoring').one<Manifest & { spec: { groups: { rules: { alert: string; expr: string; labels: { severity: string } }[] }[] } }>('PrometheusRule', 'demo-parley');
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['ParleyDeadLettersRising', 'ParleyQueueWaitingHigh', 'ParleyOfferAcceptSlow', 'ParleyTargetDown', 'ParleyPartitionsUnowned']),
    );
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      const used = metricNames(r.expr);
      expect(used.length, r.alert).toBeGreaterThan(0);
      for (const metric of used) expect(known.has(metric), `${r.alert} uses ${metric}`).toBe(true);
      // Scoped to the release's namespace.
      expect(r.expr, r.alert).toContain(`namespace="${namespace}"`);
    }
    expect(get('defaults').kind('PrometheusRule')).toEqual([]);
    expect(get('defaults').kind('ServiceMonitor')).toEqual([]);
  });

  it('scrapes every role and ships a Grafana dashboard over existing metrics', async () => {
    const r = get('monitoring');
    expect(r.kind('ServiceMonitor').map((s) => s.metadata.name).sort()).toEqual([nameOf('gateway'), nameOf('operator'), nameOf('router')]);
    const dashboard = r.one<Manifest & { data: Record<string, string> }>('ConfigMap', nameOf('dashboard'));
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
    const json = JSON.parse(dashboard.data['parley.json']!) as { uid: string; panels: { type: string; targets?: { expr: string }[] }[] };
    expect(json.uid).toBe('parley-overview');
    const exprs = json.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(10);
    const known = await knownMetrics();
    for (const expr of exprs) {
      for (const metric of metricNames(expr)) expect(known.has(metric), `dashboard uses ${metric}`).toBe(true);
    }
  });
});

describe('CRDs', () => {
  it('ships in charts/parley/crds exactly the files of crds/, byte for byte', async () => {
    const yamlIn = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort();
    const source = await yamlIn(join(repoRoot, 'crds'));
    const shipped = await yamlIn(join(chartDir, 'crds'));
    const hint = 'copy them: cp crds/*.yaml charts/parley/crds/';
    expect(shipped, hint).toEqual(source);
    for (const file of source) {
      const [a, b] = await Promise.all([readFile(join(repoRoot, 'crds', file)), readFile(join(chartDir, 'crds', file))]);
      expect(b.equals(a), `charts/parley/crds/${file} differs from crds/${file}: ${hint}`).toBe(true);
    }
  });

  it('installs the CRDs whose resources the operator is granted', async () => {
    const withCrds = await render(chart.dir, {}, ['--include-crds']);
    const crds = withCrds.kind<Manifest & { spec: { group: string; names: { plural: string } } }>('CustomResourceDefinition');
    const source = (await readdir(join(repoRoot, 'crds'))).filter((f) => /\.ya?ml$/.test(f));
    expect(crds).toHaveLength(source.length);
    if (crds.length === 0) return; // crds/ not generated yet
    const granted = new Set(
      withCrds
        .kind<Role>('ClusterRole')
        .flatMap((role) => role.rules)
        .filter((rule) => rule.apiGroups?.includes('parley.dev'))
        .flatMap((rule) => rule.resources ?? [])
        .filter((res) => !res.includes('/')),
    );
    expect(new Set(crds.map((crd) => crd.spec.names.plural))).toEqual(granted);
    for (const crd of crds) expect(crd.spec.group).toBe('parley.dev');
  });
});
