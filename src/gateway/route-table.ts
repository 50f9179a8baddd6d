/** One route: a method and a path pattern whose `:name` segments capture parameters. */
export interface Route<H> {
  method: string;
  /** E.g. `/v1/agents/:agentId/offers/:offerId/accept`. Also the metrics label. */
  pattern: string;
  handler: H;
}

export type RouteMatch<H> =
  | { kind: 'found'; route: Route<H>; params: Record<string, string> }
  /** The path exists, but not for this method: answer 405 with `Allow`. */
  | { kind: 'wrongMethod'; pattern: string; allowed: string[] }
  | { kind: 'none' };

interface Compiled<H> {
  route: Route<H>;
  segments: string[];
}

/**
 * A deliberately tiny path router: the gateway has a dozen fixed routes, so a linear scan
 * over pre-split patterns is clearer than any framework and fast enough.
 */
export class RouteTable<H> {
  readonly #routes: Compiled<H>[];

  constructor(routes: Route<H>[]) {
    this.#routes = routes.map((route) => ({ route, segments: route.pattern.split('/').slice(1) }));
  }

  match(method: string, pathname: string): RouteMatch<H> {
    const parts = pathname.split('/').slice(1);
    let decoded: string[];
    try {
      decoded = parts.map((p) => decodeURIComponent(p));
    } catch {
      return { kind: 'none' };
    }

    const allowed: string[] = [];
    let pattern: string | undefined;
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, decoded);
      if (!params) continue;
      if (route.method === method) return { kind: 'found', route, params };
      allowed.push(route.method);
      pattern ??= route.pattern;
    }
    return pattern === undefined ? { kind: 'none' } : { kind: 'wrongMethod', pattern, allowed };
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    const part = parts[i] ?? '';
    if (segment.startsWith(':')) {
      if (part === '') return undefined;
      params[segment.slice(1)] = part;
    } else if (segment !== part) {
      return undefined;
    }
  }
  return params;
}
