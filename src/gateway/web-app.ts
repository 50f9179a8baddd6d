import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web app (web/app, `npm run build:app`) at `/app/`, from this process:
 * nothing is loaded from a CDN. Vite names every asset after its content hash, so those
 * are cached for a year (`immutable`); `index.html`, which names the current assets, is
 * revalidated on every load so a new release is picked up at once.
 */

export const WEB_APP_PREFIX = '/app/';
const HASHED_ASSETS = /^\/app\/assets\//;
const YEAR_SECONDS = 365 * 24 * 3600;
// The app talks to its own origin (HTTP and the events WebSocket), and to the OIDC issuer
// when it signs in through one (discovery, token, revocation); images in a customer's
// history come from the providers' https URLs.
const contentSecurityPolicy = (connectSources: readonly string[]): string => [
  "default-src 'self'",
  "img-src 'self' https: data: blob:",
  ["connect-src 'self' ws: wss:", ...connectSources].join(' '),
  "style-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The `dist/web/app` folder of this installation: beside the sources (`src/gateway` run by
 * tsx) or inside `dist` (`dist/src/gateway` run by node). `undefined` when it was not built.
 */
export function builtWebAppDir(): string | undefined {
  // Compiled, this file is dist/src/gateway/web-app.js; from source, src/gateway/web-app.ts.
  const compiled = import.meta.url.includes('/dist/src/gateway/');
  const dir = fileURLToPath(new URL(compiled ? '../../web/app/' : '../../dist/web/app/', import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : undefined;
}

/**
 * The fastify plugin serving the app from `root` (a folder holding `index.html` and `assets/`).
 * `connectSources`: origins the app may call besides its own (the OIDC issuer's).
 */
export async function serveWebApp(app: FastifyInstance, options: { root: string; connectSources?: readonly string[] }): Promise<void> {
  const policy = contentSecurityPolicy(options.connectSources ?? []);
  await app.register(fastifyStatic, {
    root: options.root,
    prefix: WEB_APP_PREFIX,
    // `/app` answers with a redirect to `/app/`.
    redirect: true,
    index: ['index.html'],
    cacheControl: false,
    etag: true,
    lastModified: true,
    decorateReply: false,
  });
  // After the gateway's own `no-store` (set on every answer when the request arrives).
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode < 400) {
      const hashed = HASHED_ASSETS.test(request.url);
      reply.header('cache-control', hashed ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');
      if (!hashed) reply.header('content-security-policy', policy);
    }
    done(null, payload);
  });
}
