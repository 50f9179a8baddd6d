import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The agent desktop and supervisor views (docs/desktop.md). Built by `npm run build:app`
 * (and `make build` / `make up`) into dist/web/app, which the gateway serves at /app/.
 * Asset names carry a content hash: the gateway caches them as immutable.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web/app', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Source maps stay out of the served folder's size budget but help in the browser's devtools.
    sourcemap: true,
  },
  server: {
    // `npx vite --config web/app/vite.config.ts` while `parley up` runs: the API is proxied.
    proxy: { '/v1': { target: process.env.PARLEY_URL ?? 'http://127.0.0.1:8080', ws: true } },
  },
});
