/**
 * The Helm chart (charts/parley), as committed — no `helm dependency build`, no network:
 * `helm lint`, `helm template` with several value sets, and checks on the rendered
 * manifests — probes, limits and security settings on every container, the `metrics`
 * ports, the operator's RBAC, Service selectors, the Ingress, the NetworkPolicies, the
 * values schema, alerts and the dashboard on metrics that exist, and CRDs identical to crds/.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { readAuthSettings } from '../../src/auth/index.ts';
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
  template,
  workloadKinds,
  type Container,
  type Ingress,
  type Manifest,
  type NetworkPolicy,
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
const edge = {
  ingress: { enabled: true, className: 'nginx', hosts: ['parley.example.com'], tls: [{ secretName: 'parley-tls', hosts: ['parley.example.com'] }] },
  networkPolicy: { enabled: true },
  channels: { enabled: true, smtp: { port: 2525 } },
};

// The chart as committed: what a fresh clone renders.
const chart = { dir: chartDir };
const combinations: Record<string, object> = {
  defaults: {},
  monitoring,
  'external secrets': externalSecrets,
  'rbac.namespaced': namespacedRbac,
  'ingress, network policies, channels': edge,
  'everything at once': { ...monitoring, ...externalSecrets, ...namespacedRbac, ...edge },
};
const rendered = new Map<string, Rendered>();

beforeAll(async () => {
  await helmBinary(); // fails here, with how to get helm, when it cannot be had
  for (const [name, values] of Object.entries(combinations)) rendered.set(name, await render(chart.dir, values));
}, 180_000);

function get(name: string): Rendered {
  const r = rendered.get(name);
  if (!r) throw new Error(`no rendering "${name}"`);
  return r;
}

function workloads(r: Rendered): Workload[] {
  return r.all.filter((m) => workloadKinds.includes(m.kind)) as Workload[];
}

describe('helm lint', () => {
  it('passes --strict on the chart as committed, with every option on or off, without a warning', async () => {
    const everything = 'metrics.prometheusRule.enabled=true,metrics.serviceMonitor.enabled=true,channels.enabled=true,ingress.enabled=true,networkPolicy.enabled=true';
    for (const values of [[], ['--set', everything]]) {
      const result = await helm(['lint', '--strict', chartDir, ...values]);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout.split('\n').filter((line) => /^\[(WARNING|ERROR)\]/.test(line))).toEqual([]);
    }
  });

  it('renders on a fresh clone with no network: no dependencies to build, no charts/ folder', async () => {
    const chartYaml = await readFile(join(chartDir, 'Chart.yaml'), 'utf8');
    expect(chartYaml).not.toMatch(/^dependencies:/m);
    expect(await stat(join(chartDir, 'charts')).then(() => 'present', () => 'absent')).toBe('absent');
    const result = await helm(['template', 'parley', chartDir]);
    expect(result.status, result.stderr).toBe(0);
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
        // The root filesystem is read-only; /tmp stays writable for Node.js and libraries.
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
      const spec = (sm as Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; relabelings?: object[] }[] } }).spec;
      const services = r.kind<Service>('Service').filter((s) => labelsMatch(spec.selector.matchLabels, s.metadata.labels));
      // One Service per role carries its `metrics` port: the router's and the operator's own, `<role>-metrics` for the others.
      const component = sm.metadata.labels?.['app.kubernetes.io/component'] ?? '?';
      expect(services.map((s) => s.metadata.name)).toEqual([['router', 'operator'].includes(component) ? nameOf(component) : nameOf(`${component}-metrics`)]);
      for (const endpoint of spec.endpoints) {
        expect(endpoint.port).toBe('metrics');
        expect(services[0]?.spec.ports.map((p) => p.name)).toEqual(['metrics']);
        // The job label stays <fullname>-<component>, which the alerts and the dashboard select on.
        expect(endpoint.relabelings).toEqual([{ targetLabel: 'job', replacement: sm.metadata.name }]);
      }
    }
  });

  it('grants the operator and the channels role exactly what they use, and nothing to the other pods', () => {
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
      // Events about the resources, in their namespaces (the events API).
      'events.k8s.io/events:create',
      'events.k8s.io/events:patch',
    ].sort();
    const leaseGrants = ['coordination.k8s.io/leases:create', 'coordination.k8s.io/leases:get', 'coordination.k8s.io/leases:update'];

    const leaderElection = r.one<Role>('Role', `${nameOf('operator')}-leader-election`);
    expect(leaderElection.metadata.namespace).toBe(namespace);
    expect(grants(leaderElection.rules)).toEqual(leaseGrants);
    // The channels role reads the Secrets Channels name (provider tokens, mail passwords, DKIM keys), by name only.
    const ofChannels = (role: Role) => role.metadata.name.startsWith(nameOf('channels'));
    const channelsOn = (combinations[name] as { channels?: { enabled?: boolean } }).channels?.enabled === true;
    const channelsRoles = roles.filter(ofChannels);
    expect(channelsRoles.length > 0, 'channels roles').toBe(channelsOn);
    for (const role of channelsRoles) expect(grants(role.rules), role.metadata.name).toEqual(['core/secrets:get']);
    if (channelsOn && namespaced) expect(channelsRoles.map((role) => role.metadata.namespace).sort()).toEqual(['tenant-a', 'tenant-b']);
    const operatorRoles = roles.filter((role) => role !== leaderElection && !ofChannels(role));
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
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: nameOf(ofChannels(role!) ? 'channels' : 'operator'), namespace }]);
    }
    const operator = r.one<Workload>('Deployment', nameOf('operator'));
    expect(operator.spec.template.spec.serviceAccountName).toBe(nameOf('operator'));
    expect(envOf(operator.spec.template.spec.containers[0]!, 'PARLEY_WATCH_NAMESPACES')?.value).toBe(namespaced ? 'tenant-a,tenant-b' : '');
    for (const w of workloads(r).filter((x) => x !== operator)) {
      const channels = w.metadata.name === nameOf('channels');
      expect(w.spec.template.spec.serviceAccountName, w.metadata.name).toBe(channels ? nameOf('channels') : `${release}-parley`);
      expect(w.spec.template.spec.automountServiceAccountToken, w.metadata.name).toBe(channels);
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

  it('sets how the gateway verifies tokens from auth.mode, auth.oidc and auth.claims, in a form the gateway accepts', async () => {
    const plainEnv = (container: Container) => Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    const local = get('defaults').one<Workload>('Deployment', nameOf('gateway')).spec.template.spec.containers[0]!;
    expect(Object.keys(plainEnv(local)).filter((name) => name.startsWith('PARLEY_AUTH_'))).toEqual(['PARLEY_AUTH_MODE']);
    expect(readAuthSettings(plainEnv(local)).mode).toBe('local');

    const oidc = {
      mode: 'oidc',
      oidc: { issuer: 'https://login.example.com/realms/cc', audience: 'parley', jwksUrl: '', clientId: 'parley-desktop', scopes: 'openid profile' },
      claims: { subject: '', tenant: '', role: 'groups', roleMap: 'cc-agents=agent,cc-leads=supervisor', fixedTenant: 'demo' },
    };
    const gateway = (await render(chart.dir, { auth: oidc })).one<Workload>('Deployment', nameOf('gateway')).spec.template.spec.containers[0]!;
    const env = plainEnv(gateway);
    expect(env).toMatchObject({
      PARLEY_AUTH_MODE: 'oidc',
      PARLEY_AUTH_ISSUER: 'https://login.example.com/realms/cc',
      PARLEY_AUTH_AUDIENCE: 'parley',
      PARLEY_AUTH_CLIENT_ID: 'parley-desktop',
      PARLEY_AUTH_SCOPES: 'openid profile',
      PARLEY_AUTH_ROLE_CLAIM: 'groups',
      PARLEY_AUTH_TENANT: 'demo',
    });
    // Empty values are left to the gateway's defaults.
    expect(env).not.toHaveProperty('PARLEY_AUTH_JWKS_URL');
    expect(env).not.toHaveProperty('PARLEY_AUTH_SUBJECT_CLAIM');
    expect(readAuthSettings(env)).toMatchObject({ mode: 'oidc', issuer: 'https://login.example.com/realms/cc', claims: { role: 'groups', roleMap: { 'cc-agents': 'agent', 'cc-leads': 'supervisor' }, fixedTenant: 'demo' } });
    // Integrators' OAuth tokens keep a key in oidc mode.
    expect(envOf(gateway, 'PARLEY_OAUTH_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: nameOf('auth'), key: 'auth-secret' });

    const missing = await template(chart.dir, {}, ['--set', 'auth.mode=oidc']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/auth\.oidc\.(issuer|audience)/);
  });

  it('no longer installs NATS or PostgreSQL: enabling them fails with how to run them, their 0.1 values off still render', async () => {
    for (const [values, message] of [
      [{ nats: { enabled: true } }, /nats\.enabled was removed in chart 0\.2\.0.*official chart/],
      [{ postgresql: { enabled: true } }, /postgresql\.enabled was removed in chart 0\.2\.0.*CloudNativePG/],
    ] as const) {
      const result = await template(chart.dir, values);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(message);
    }
    // Values an upgrade from 0.1 brings along (--reset-then-reuse-values): the old keys, off.
    const reused = await render(chart.dir, {
      nats: { enabled: false, url: 'nats://nats.nats:4222', config: { jetstream: { enabled: true } } },
      postgresql: { enabled: false, auth: { username: 'parley', database: 'parley' } },
    });
    const router = reused.one<Workload>('StatefulSet', nameOf('router')).spec.template.spec.containers[0]!;
    expect(envOf(router, 'NATS_URL')?.value).toBe('nats://nats.nats:4222');
    expect(envOf(router, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: nameOf('database'), key: 'url' });
    expect(reused.all.map((m) => m.kind)).not.toContain('ConfigMap');
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

describe('helm template: /metrics on its own port', () => {
  it('gives every role a `metrics` port (PARLEY_OPS_PORT, default 9090) that no public Service or Ingress carries', () => {
    const r = get('everything at once');
    for (const workload of workloads(r)) {
      const c = workload.spec.template.spec.containers[0]!;
      const metrics = c.ports?.find((p) => p.name === 'metrics');
      expect(metrics?.containerPort, workload.metadata.name).toBe(9090);
      expect(envOf(c, 'PARLEY_OPS_PORT')?.value, workload.metadata.name).toBe('9090');
    }
    const gateway = r.one<Workload>('Deployment', nameOf('gateway')).spec.template.spec.containers[0]!;
    expect(gateway.ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ['http', 8080],
      ['metrics', 9090],
    ]);
    // The gateway's probes stay on its API port; the router's and the operator's are on `metrics`, their only port.
    expect(gateway.readinessProbe?.httpGet?.port).toBe('http');
    expect(r.one<Workload>('StatefulSet', nameOf('router')).spec.template.spec.containers[0]?.readinessProbe?.httpGet?.port).toBe('metrics');
    for (const name of ['gateway', 'channels']) expect(r.one<Service>('Service', nameOf(name)).spec.ports.map((p) => p.targetPort)).toEqual(['http']);
    const backends = r.kind<Ingress>('Ingress').flatMap((i) => i.spec.rules.flatMap((rule) => rule.http.paths.map((p) => p.backend.service.port.name)));
    expect(new Set(backends)).toEqual(new Set(['http']));
  });

  it('follows the ports given in the values', async () => {
    const r = await render(chart.dir, { router: { opsPort: 9100 }, gateway: { opsPort: 9101 }, operator: { opsPort: 9102 }, metrics: { serviceMonitor: { enabled: true } } });
    for (const [kind, component, port] of [['StatefulSet', 'router', 9100], ['Deployment', 'gateway', 9101], ['Deployment', 'operator', 9102]] as const) {
      const c = r.one<Workload>(kind, nameOf(component)).spec.template.spec.containers[0]!;
      expect(c.ports?.find((p) => p.name === 'metrics')?.containerPort, component).toBe(port);
      expect(envOf(c, 'PARLEY_OPS_PORT')?.value, component).toBe(String(port));
    }
    expect(r.one<Service>('Service', nameOf('gateway-metrics')).spec.ports).toEqual([{ name: 'metrics', port: 9101, targetPort: 'metrics', protocol: 'TCP' }]);
  });
});

describe('helm template: Ingress', () => {
  it('is off by default', () => {
    expect(get('defaults').kind('Ingress')).toEqual([]);
  });

  it("sends the gateway's API (/v1) and web app (/app) to the gateway, /webhooks and web messaging (/web) to the channel adapters, on the hosts and TLS given", async () => {
    const ingress = get('ingress, network policies, channels').one<Ingress>('Ingress', `${release}-parley`);
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ secretName: 'parley-tls', hosts: ['parley.example.com'] }]);
    expect(ingress.spec.rules.map((rule) => rule.host)).toEqual(['parley.example.com']);
    const routes = ingress.spec.rules[0]!.http.paths.map((p) => [p.path, p.pathType, p.backend.service.name, p.backend.service.port.name]);
    expect(routes).toEqual([
      ['/v1', 'Prefix', nameOf('gateway'), 'http'],
      ['/app', 'Prefix', nameOf('gateway'), 'http'],
      ['/webhooks', 'Prefix', nameOf('channels'), 'http'],
      ['/web', 'Prefix', nameOf('channels'), 'http'],
    ]);
    // Without the channel adapters there is nothing to send webhooks to; without hosts, any host.
    const plain = await render(chart.dir, { ingress: { enabled: true } });
    const rules = plain.one<Ingress>('Ingress', `${release}-parley`).spec.rules;
    expect(rules.map((rule) => rule.host)).toEqual([undefined]);
    expect(rules[0]!.http.paths.map((p) => p.path)).toEqual(['/v1', '/app']);
    // Every backend is a Service of this release with that port.
    const services = get('ingress, network policies, channels').kind<Service>('Service');
    for (const p of ingress.spec.rules[0]!.http.paths) {
      expect(services.find((svc) => svc.metadata.name === p.backend.service.name)?.spec.ports.map((port) => port.name)).toContain(p.backend.service.port.name);
    }
  });
});

describe('helm template: NetworkPolicies', () => {
  const policies = () => get('ingress, network policies, channels').kind<NetworkPolicy>('NetworkPolicy');
  const ports = (rules: { ports: { port: string | number; protocol: string }[] }[] | null | undefined) =>
    (rules ?? []).flatMap((rule) => rule.ports.map((p) => `${p.port}/${p.protocol}`)).sort();

  it('are off by default, and when on isolate every role, ingress and egress', () => {
    expect(get('defaults').kind('NetworkPolicy')).toEqual([]);
    const r = get('ingress, network policies, channels');
    for (const workload of workloads(r)) {
      const selecting = policies().filter((p) => labelsMatch(p.spec.podSelector.matchLabels, workload.spec.template.metadata.labels));
      expect(selecting.map((p) => p.metadata.name), workload.metadata.name).toEqual([workload.metadata.name]);
      expect(selecting[0]!.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      // Named ports resolve on the pods they select.
      const named = workload.spec.template.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.name);
      for (const rule of selecting[0]!.spec.ingress ?? []) for (const p of rule.ports) expect(named, workload.metadata.name).toContain(p.port);
    }
  });

  it('let anyone reach the public ports, and only the monitoring namespace reach `metrics`', () => {
    const byName = new Map(policies().map((p) => [p.metadata.name, p]));
    const monitoring = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    for (const component of ['router', 'gateway', 'operator', 'channels']) {
      const ingress = byName.get(nameOf(component))!.spec.ingress ?? [];
      const api = ingress.filter((rule) => rule.ports.some((p) => p.port === 'http'));
      expect(api.map((rule) => rule.from), component).toEqual(['gateway', 'channels'].includes(component) ? [undefined] : []);
      expect(ingress.filter((rule) => rule.ports.some((p) => p.port === 'metrics')).map((rule) => rule.from), component).toEqual([monitoring]);
    }
  });

  it('let each role reach DNS and NATS, and only what it uses besides: PostgreSQL, the API server, providers', () => {
    const byName = new Map(policies().map((p) => [p.metadata.name, p]));
    const common = ['4222/TCP', '53/TCP', '53/UDP'];
    expect(ports(byName.get(nameOf('router'))!.spec.egress)).toEqual([...common, '5432/TCP'].sort());
    expect(ports(byName.get(nameOf('gateway'))!.spec.egress)).toEqual([...common, '5432/TCP'].sort());
    expect(ports(byName.get(nameOf('operator'))!.spec.egress)).toEqual([...common, '443/TCP', '6443/TCP'].sort());
    expect(ports(byName.get(nameOf('channels'))!.spec.egress)).toEqual([...common, '5432/TCP', '443/TCP', '6443/TCP', '443/TCP', '25/TCP', '465/TCP', '587/TCP', '993/TCP'].sort());
    const dns = byName.get(nameOf('router'))!.spec.egress!.find((rule) => rule.ports.some((p) => p.port === 53));
    expect(dns?.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
  });

  it('take the sources and destinations given', async () => {
    const natsPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nats' } } };
    const ingressController = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } };
    const collector = { to: [{ ipBlock: { cidr: '10.0.0.9/32' } }], ports: [{ port: 4318, protocol: 'TCP' }] };
    const r = await render(chart.dir, {
      networkPolicy: { enabled: true, apiFrom: [ingressController], metricsFrom: [], egress: { nats: { to: [natsPeer], ports: [4222] }, extra: [collector] } },
    });
    const gateway = r.one<NetworkPolicy>('NetworkPolicy', nameOf('gateway'));
    expect(gateway.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: [ingressController] }]);
    expect(gateway.spec.egress).toContainEqual({ ports: [{ port: 4222, protocol: 'TCP' }], to: [natsPeer] });
    expect(gateway.spec.egress).toContainEqual(collector);
    // metricsFrom empty: nobody scrapes, and the router takes no traffic at all but its kubelet probes.
    expect(r.one<NetworkPolicy>('NetworkPolicy', nameOf('router')).spec.ingress ?? []).toEqual([]);
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
    [['--set', 'nats.url='], /nats\.url/],
    [['--set', 'gateway.opsPort=0'], /gateway\.opsPort: Must be greater than or equal to 1/],
    [['--set', 'ingress.gatewayPaths={v1}'], /ingress\.gatewayPaths\.0: Does not match pattern/],
    [['--set', 'ingress.hosts={Parley.Example.com}'], /ingress\.hosts\.0/],
    [['--set', 'networkPolicy.egress.nats.ports={}'], /networkPolicy\.egress\.nats\.ports/],
    [['--set', 'networkPolicy.enable=true'], /Additional property enable is not allowed/],
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

describe('charts/parley/README.md', () => {
  it("has a row of its Values table for every top-level value, and states the chart's defaults it restates", async () => {
    const readme = await readFile(join(chartDir, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Values'), readme.indexOf('## ', readme.indexOf('## Values') + 3));
    const values = parse(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    for (const key of Object.keys(values)) expect(table, key).toMatch(new RegExp(`^\\| [^|]*\`${key}[.\`]`, 'm'));
    const ingress = values.ingress as { gatewayPaths: string[]; webhooksPath: string };
    expect(table).toContain(`\`[${ingress.gatewayPaths.join(', ')}]\`, \`${ingress.webhooksPath}\``);
    expect(table).toContain(`| \`nats.url\` | \`${(values.nats as { url: string }).url}\` |`);
  });
});

describe('charts/parley/examples: NATS and PostgreSQL installed on their own', () => {
  it('gives the NATS chart a cluster of three with JetStream on persistent volumes', async () => {
    const values = parse(await readFile(join(chartDir, 'examples', 'nats-values.yaml'), 'utf8')) as {
      config: { cluster: { enabled: boolean; replicas: number }; jetstream: { enabled: boolean; fileStore: { enabled: boolean; pvc: { enabled: boolean } } } };
    };
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream).toMatchObject({ enabled: true, fileStore: { enabled: true, pvc: { enabled: true } } });
  });

  it('makes a CloudNativePG Cluster whose app Secret the chart README points DATABASE_URL at', async () => {
    const cluster = parse(await readFile(join(chartDir, 'examples', 'cnpg-cluster.yaml'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: { instances: number; bootstrap: { initdb: { database: string; owner: string } } };
    };
    expect([cluster.apiVersion, cluster.kind]).toEqual(['postgresql.cnpg.io/v1', 'Cluster']);
    expect(cluster.spec.instances).toBeGreaterThanOrEqual(3);
    expect(cluster.spec.bootstrap.initdb).toEqual({ database: 'parley', owner: 'parley' });
    // CloudNativePG names the Secret <cluster>-app and puts the whole URL under `uri`.
    const readme = await readFile(join(chartDir, 'README.md'), 'utf8');
    expect(readme).toContain(`--set database.existingSecret=${cluster.metadata.name}-app --set database.existingSecretKey=uri`);
    const r = await render(chart.dir, { database: { existingSecret: `${cluster.metadata.name}-app`, existingSecretKey: 'uri' } });
    const router = r.one<Workload>('StatefulSet', nameOf('router')).spec.template.spec.containers[0]!;
    expect(envOf(router, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'parley-db-app', key: 'uri' });
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
