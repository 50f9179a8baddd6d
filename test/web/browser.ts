import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';

/** Debian's Chromium, driven by playwright-core (ENVIRONMENT.md: no browser download here). */
export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/web/', import.meta.url));
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Builds the web app (as `npm run build:app` does) into a fresh folder; returns it. */
export async function buildWebApp(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-web-app-'));
  await build({
    configFile: fileURLToPath(new URL('../../web/app/vite.config.ts', import.meta.url)),
    build: { outDir: dir, emptyOutDir: true, sourcemap: false },
    logLevel: 'warn',
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A browser with a fresh profile (its own --user-data-dir), removed by close(). */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'parley-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  // The app's CSP allows only its own scripts: axe-core is injected by the test, past it.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, bypassCSP: true, locale: 'en-US', viewport: { width: 1280, height: 800 } });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // These functions run in the page (the test's own TypeScript has no DOM types).
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A full-page PNG of `page` as `<dir>/<name>.png` (test-artifacts/web unless told). */
export async function screenshot(page: Page, name: string, dir = ARTIFACTS): Promise<void> {
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
