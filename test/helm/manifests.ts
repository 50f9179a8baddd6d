/** Typed views of the manifests `helm template` renders, and the chart test's helpers. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { helm } from '../support/helm.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const chartDir = join(repoRoot, 'charts', 'parley');
export const release = 'demo';
export const namespace = 'parley';

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  [field: string]: unknown;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type?: string };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
}

export interface Workload extends Manifest {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: Metadata; spec: PodSpec };
  };
}

export interface Service extends Manifest {
  spec: { type?: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[]; clusterIP?: string };
}

export interface Ingress extends Manifest {
  spec: {
    ingressClassName?: string;
    tls?: { secretName: string; hosts?: string[] }[];
    rules: { host?: string; http: { paths: { path: string; pathType: string; backend: { service: { name: string; port: { name?: string; number?: number } } } }[] } }[];
  };
}

export interface NetworkPolicyPort {
  port: string | number;
  protocol: string;
}

export interface NetworkPolicy extends Manifest {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress?: { ports: NetworkPolicyPort[]; from?: object[] }[] | null;
    egress?: { ports: NetworkPolicyPort[]; to?: object[] }[] | null;
  };
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

export interface Role extends Manifest {
  rules: PolicyRule[];
}

export interface RoleBinding extends Manifest {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

export interface Rendered {
  all: Manifest[];
  kind<T extends Manifest = Manifest>(kind: string): T[];
  one<T extends Manifest = Manifest>(kind: string, name: string): T;
}

export const workloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

export function parseManifests(text: string): Rendered {
  const all = parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter((value): value is Manifest => value !== null && typeof value === 'object' && 'kind' in value);
  return {
    all,
    kind: <T extends Manifest>(kind: string) => all.filter((m) => m.kind === kind) as T[],
    one<T extends Manifest>(kind: string, name: string): T {
      const found = all.filter((m) => m.kind === kind && m.metadata.name === name);
      if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
      return found[0] as T;
    },
  };
}

/** The chart's name for a component's objects: <release>-parley-<component>. */
export const nameOf = (component: string) => `${release}-parley-${component}`;

export function labelsMatch(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** `helm template` of the chart with these values; fails the test with helm's message. */
export async function render(chart: string, values: object = {}, extraArgs: string[] = []): Promise<Rendered> {
  const result = await template(chart, values, extraArgs);
  if (result.status !== 0) throw new Error(`helm template failed (${result.status}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/** `helm template` of the chart with these values (written to a file outside the chart). */
export async function template(chart: string, values: object = {}, extraArgs: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-values-'));
  const file = join(dir, 'values.json');
  await writeFile(file, JSON.stringify(values));
  try {
    return await helm(['template', release, chart, '--namespace', namespace, '--values', file, ...extraArgs]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function containersOf(workload: Workload): Container[] {
  const pod = workload.spec.template.spec;
  return [...(pod.initContainers ?? []), ...pod.containers];
}

export function envOf(container: Container, name: string) {
  return container.env?.find((e) => e.name === name);
}
