/**
 * Legacy (unaggregated) discovery: /version, /api, /api/v1, /apis,
 * /apis/<group>, /apis/<group>/<version>. Newer kubectl asks for aggregated
 * discovery (as=APIGroupDiscoveryList) first; answering with a plain
 * application/json APIGroupList makes it fall back, as against an old server.
 */
import { createHash } from 'node:crypto';
import type { Obj } from './meta.ts';
import type { Registry } from './resources.ts';
import { groupVersion } from './resources.ts';

export interface ServerVersion {
  major: string;
  minor: string;
}

export function versionInfo(v: ServerVersion): Obj {
  return {
    major: v.major,
    minor: v.minor,
    gitVersion: `v${v.major}.${v.minor}.0`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z',
    goVersion: 'go1.23.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): Obj {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]): Obj {
  const vs = versions.map((v) => ({ groupVersion: groupVersion(name, v), version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(registry: Registry): Obj {
  const groups = [...registry.groups()]
    .filter(([g]) => g !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([g, vs]) => groupEntry(g, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(registry: Registry, group: string): Obj | undefined {
  const versions = registry.groups().get(group);
  if (!versions || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) };
}

function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

export function apiResourceList(registry: Registry, group: string, version: string): Obj | undefined {
  const types = registry.typesIn(group, version);
  if (types.length === 0) return undefined;
  const resources: Obj[] = [];
  for (const { type, version: v } of types) {
    const r: Obj = {
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.verbs,
    };
    if (type.shortNames.length) r.shortNames = type.shortNames;
    if (type.categories.length) r.categories = type.categories;
    r.storageVersionHash = storageVersionHash(group, type.storageVersion, type.kind);
    resources.push(r);
    if (v.statusSubresource) {
      resources.push({
        name: `${type.plural}/status`,
        singularName: '',
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  const list: Obj = { kind: 'APIResourceList' };
  if (group !== '') list.apiVersion = 'v1';
  list.groupVersion = groupVersion(group, version);
  list.resources = resources;
  return list;
}
