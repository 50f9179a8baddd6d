/**
 * Watch streams: newline-delimited `{"type":…,"object":…}` events.
 *
 * - resourceVersion unset or "0": synthetic ADDED events for the current
 *   state, then changes (sendInitialEvents=true does the same and ends the
 *   initial batch with a BOOKMARK annotated k8s.io/initial-events-end).
 * - resourceVersion N: every change after N, replayed from the store's
 *   history; if some were compacted away, one ERROR event carrying a 410
 *   Expired Status, then the stream ends (what client-go and
 *   @kubernetes/client-node informers expect, so they re-list).
 * - Selectors apply to old and new state, so objects moving in or out of a
 *   selector show up as ADDED / DELETED, as with the watch cache.
 * - allowWatchBookmarks: periodic BOOKMARK events; timeoutSeconds ends the
 *   stream cleanly.
 */
import type { ServerResponse } from 'node:http';
import { badRequest, expired } from './errors.ts';
import type { Obj } from './meta.ts';
import { metaOf, str } from './meta.ts';
import type { RestApi, Target } from './rest.ts';
import { typeKey } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { ChangeEvent } from './store.ts';

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** Encodes an object (already at the target version) for the response: plain, Table row, metadata. */
  encode(obj: Obj, first: boolean): Obj;
}

export interface ActiveWatch {
  close(): void;
}

const truthy = (v: string | null): boolean => v === 'true' || v === '1';

export function serveWatch(
  rest: RestApi,
  target: Target,
  query: URLSearchParams,
  res: ServerResponse,
  opts: WatchOptions,
  onEnd: () => void,
): ActiveWatch {
  const store = rest.store;
  const key = typeKey(target.type);
  const labelSel = parseLabelSelector(query.get('labelSelector'));
  const fieldSel = parseFieldSelector(query.get('fieldSelector'), target.version.selectableFields);
  const inScope = (obj: Obj): boolean =>
    !target.type.namespaced || target.namespace === undefined || (str(metaOf(obj).namespace) ?? '') === target.namespace;
  const matches = (obj: Obj | undefined): boolean => obj !== undefined && inScope(obj) && labelSel(obj) && fieldSel(obj);

  const rvParam = query.get('resourceVersion') ?? '';
  const sendInitial = truthy(query.get('sendInitialEvents'));
  const bookmarks = truthy(query.get('allowWatchBookmarks'));
  let startRv: number | undefined;
  if (rvParam !== '' && rvParam !== '0') {
    startRv = Number(rvParam);
    if (!Number.isInteger(startRv) || startRv < 0) throw badRequest(`invalid resource version: ${rvParam}`);
  }
  const timeoutParam = query.get('timeoutSeconds');
  const timeoutSeconds = timeoutParam === null ? 1800 : Number(timeoutParam);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) throw badRequest(`invalid timeoutSeconds: ${timeoutParam}`);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let first = true;
  let closed = false;
  const write = (type: string, obj: Obj, raw = false): void => {
    if (closed) return;
    const object = raw ? obj : opts.encode(rest.toExternal(obj, target.type, target.version.name), first);
    if (!raw) first = false;
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    write(
      'BOOKMARK',
      {
        kind: target.type.kind,
        apiVersion: target.type.group === '' ? target.version.name : `${target.type.group}/${target.version.name}`,
        metadata: { resourceVersion: String(store.currentRv()), creationTimestamp: null, ...(annotations ? { annotations } : {}) },
      },
      true,
    );
  };
  const deliver = (e: ChangeEvent): void => {
    if (e.key !== key) return;
    const withRv = (o: Obj): Obj => {
      const c = structuredClone(o);
      metaOf(c).resourceVersion = String(e.rv);
      return c;
    };
    if (e.type === 'MODIFIED') {
      const was = matches(e.previous);
      const is = matches(e.object);
      if (was && is) write('MODIFIED', e.object);
      else if (!was && is) write('ADDED', e.object);
      else if (was && !is && e.previous) write('DELETED', withRv(e.previous));
    } else if (matches(e.object)) {
      write(e.type, e.object);
    }
  };

  let unsubscribe = (): void => {};
  const timers: NodeJS.Timeout[] = [];
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    res.end();
    onEnd();
  };
  res.on('close', close);

  if (startRv === undefined) {
    for (const obj of store.list(key, target.type.namespaced ? target.namespace : undefined)) if (matches(obj)) write('ADDED', obj);
    if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const events = store.eventsAfter(startRv);
    if (events === 'expired') {
      const status = expired(`too old resource version: ${startRv} (${store.oldestWatchableRv()})`).status;
      res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      close();
      return { close };
    }
    if (sendInitial) {
      for (const obj of store.list(key, target.type.namespaced ? target.namespace : undefined)) if (matches(obj)) write('ADDED', obj);
      if (bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      for (const e of events) deliver(e);
    }
  }
  unsubscribe = store.subscribe(deliver);
  if (timeoutSeconds > 0) timers.push(setTimeout(close, timeoutSeconds * 1000));
  if (bookmarks && opts.bookmarkIntervalMs > 0) {
    const tick = (): void => {
      bookmark();
      timers.push(setTimeout(tick, opts.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, opts.bookmarkIntervalMs));
  }
  return { close };
}
