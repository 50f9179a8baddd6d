/**
 * URL routing: discovery, OpenAPI and resource paths
 * (/api/v1/..., /apis/<group>/<version>/[namespaces/<ns>/]<plural>[/<name>[/<subresource>]]),
 * mapped to the REST verbs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import type { ServerVersion } from './discovery.ts';
import { ApiError, internalError, methodNotSupported, notFoundPath, unauthorized } from './errors.ts';
import type { Representation } from './http.ts';
import { negotiate, parseBody, readBody, send } from './http.ts';
import type { Obj } from './meta.ts';
import { metaOf, str } from './meta.ts';
import type { OpenApi } from './openapi.ts';
import type { Call, RestApi, Target } from './rest.ts';
import type { IncludeObject } from './table.ts';
import { toTable } from './table.ts';
import type { ActiveWatch } from './watch.ts';
import { serveWatch } from './watch.ts';

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
  userAgent: string;
  accept: string;
}

export interface RouterContext {
  rest: RestApi;
  openapi: OpenApi;
  token: string;
  serverAddress: () => string;
  serverVersion: ServerVersion;
  bookmarkIntervalMs: number;
  watches: Set<ActiveWatch>;
  record(r: RequestRecord): void;
}

interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  legacyWatch: boolean;
}

/** Splits a resource URL; undefined when it is not one. */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1] ?? '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1] ?? '';
    version = segs[2] ?? '';
    rest = segs.slice(3);
  } else {
    return undefined;
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const [resource = '', name, subresource] = rest;
  return {
    group,
    version,
    resource,
    legacyWatch,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

const PUBLIC = new Set(['/version', '/healthz', '/livez', '/readyz']);

export async function route(ctx: RouterContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://kube.invalid');
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const method = req.method ?? 'GET';
  res.on('finish', () =>
    ctx.record({
      method,
      path: pathname,
      query: url.search,
      status: res.statusCode,
      userAgent: req.headers['user-agent'] ?? '',
      accept: req.headers.accept ?? '',
    }),
  );
  try {
    await dispatch(ctx, req, res, pathname, url.searchParams, method);
  } catch (err) {
    if (res.headersSent) {
      res.end();
      return;
    }
    const e = err instanceof ApiError ? err : internalError(err instanceof Error ? err.message : String(err));
    send(res, e.code, e.status);
  }
}

async function dispatch(
  ctx: RouterContext,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  query: URLSearchParams,
  method: string,
): Promise<void> {
  if (PUBLIC.has(pathname) && method === 'GET') {
    if (pathname === '/version') send(res, 200, versionInfo(ctx.serverVersion));
    else {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
    }
    return;
  }
  if (req.headers.authorization !== `Bearer ${ctx.token}`) throw unauthorized();

  const { rest, openapi } = ctx;
  const registry = rest.registry;
  if (method === 'GET') {
    if (pathname === '/api') return send(res, 200, apiVersions(ctx.serverAddress()));
    if (pathname === '/apis') return send(res, 200, apiGroupList(registry));
    if (pathname === '/api/v1') {
      const list = apiResourceList(registry, '', 'v1');
      if (list) return send(res, 200, list);
    }
    const g = /^\/apis\/([^/]+)$/.exec(pathname);
    if (g) {
      const group = apiGroup(registry, g[1] ?? '');
      if (!group) throw notFoundPath();
      return send(res, 200, group);
    }
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(pathname);
    if (gv) {
      const list = apiResourceList(registry, gv[1] ?? '', gv[2] ?? '');
      if (!list) throw notFoundPath();
      return send(res, 200, list);
    }
    if (pathname === '/openapi/v3') return send(res, 200, openapi.index());
    if (pathname.startsWith('/openapi/v3/')) {
      const doc = openapi.document(pathname.slice('/openapi/v3/'.length));
      if (!doc) throw notFoundPath();
      res.setHeader('Etag', `"${doc.hash}"`);
      return send(res, 200, doc.body);
    }
  }

  const p = parseResourcePath(pathname);
  if (!p) throw notFoundPath();
  const found = registry.find(p.group, p.version, p.resource);
  if (!found) throw notFoundPath();
  const { type, version } = found;
  if (!type.namespaced && p.namespace !== undefined) throw notFoundPath();
  if (p.subresource !== undefined && !(p.subresource === 'status' && version.statusSubresource)) throw notFoundPath();
  if (type.namespaced && p.namespace === undefined && p.name !== undefined) throw notFoundPath();

  const target: Target = {
    type,
    version,
    ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.subresource !== undefined ? { subresource: p.subresource } : {}),
  };
  const call: Call = { query, warnings: [] };
  const gr = { group: type.group, name: type.plural };
  const verb = (v: string): void => {
    if (!type.verbs.includes(v)) throw methodNotSupported(gr, v);
  };
  const isWatch = p.legacyWatch || query.get('watch') === 'true' || query.get('watch') === '1';
  const readRep = (): Representation => negotiate(req.headers.accept, true);
  const body = async (): Promise<unknown> => parseBody(await readBody(req), req.headers['content-type']);

  switch (method) {
    case 'GET': {
      const rep = readRep();
      if (p.name === undefined && isWatch) {
        verb('watch');
        const watch = serveWatch(
          rest,
          target,
          query,
          res,
          {
            bookmarkIntervalMs: ctx.bookmarkIntervalMs,
            encode: (obj, first) => encodeOne(obj, rep, query, version, String(rest.store.currentRv()), !first),
          },
          () => ctx.watches.delete(watch),
        );
        ctx.watches.add(watch);
        return;
      }
      if (p.name === undefined) {
        verb('list');
        const { list, items } = rest.list(target, call);
        const meta = list.metadata as Obj;
        if (rep.kind === 'table') {
          return send(
            res,
            200,
            toTable(items, version, {
              includeObject: includeObject(query),
              tableVersion: rep.version,
              resourceVersion: String(meta.resourceVersion),
              ...(typeof meta.continue === 'string' ? { continueToken: meta.continue } : {}),
            }),
          );
        }
        if (rep.kind === 'partial') {
          return send(res, 200, {
            kind: 'PartialObjectMetadataList',
            apiVersion: `meta.k8s.io/${rep.version}`,
            metadata: meta,
            items: items.map((o) => partial(o, rep.version)),
          });
        }
        return send(res, 200, list, rep);
      }
      verb('get');
      const obj = rest.get(target);
      return send(res, 200, encodeOne(obj, rep, query, version, str(metaOf(obj).resourceVersion) ?? '', false), rep.kind === 'yaml' ? rep : undefined);
    }
    case 'POST': {
      if (p.name !== undefined || p.subresource !== undefined) throw methodNotSupported(gr, 'create');
      if (type.namespaced && p.namespace === undefined) throw notFoundPath();
      verb('create');
      const rep = negotiate(req.headers.accept, false);
      const created = rest.create(target, await body(), call);
      return send(res, 201, created, rep, call.warnings);
    }
    case 'PUT': {
      if (p.name === undefined) throw methodNotSupported(gr, 'update');
      verb('update');
      const rep = negotiate(req.headers.accept, false);
      const updated = rest.update(target, await body(), call);
      return send(res, 200, updated, rep, call.warnings);
    }
    case 'PATCH': {
      if (p.name === undefined) throw methodNotSupported(gr, 'patch');
      verb('patch');
      const rep = negotiate(req.headers.accept, false);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const raw = await readBody(req);
      const patchBody = parseBody(raw, contentType === 'application/apply-patch+yaml' ? contentType : 'application/json');
      const patched = rest.patch(target, contentType, patchBody, call);
      return send(res, 200, patched, rep, call.warnings);
    }
    case 'DELETE': {
      const rep = negotiate(req.headers.accept, false);
      const options = await body();
      if (p.name === undefined) {
        verb('deletecollection');
        return send(res, 200, rest.deleteCollection(target, options, call), rep, call.warnings);
      }
      if (p.subresource !== undefined) throw methodNotSupported(gr, 'delete');
      verb('delete');
      return send(res, 200, rest.delete(target, options, call), rep, call.warnings);
    }
    default:
      throw methodNotSupported(gr, method.toLowerCase());
  }
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function partial(obj: Obj, version: string): Obj {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: metaOf(obj) };
}

function encodeOne(
  obj: Obj,
  rep: Representation,
  query: URLSearchParams,
  version: Parameters<typeof toTable>[1],
  rv: string,
  noHeaders: boolean,
): Obj {
  if (rep.kind === 'table') {
    return toTable([obj], version, { includeObject: includeObject(query), tableVersion: rep.version, resourceVersion: rv, noHeaders });
  }
  if (rep.kind === 'partial') return partial(obj, rep.version);
  return obj;
}
