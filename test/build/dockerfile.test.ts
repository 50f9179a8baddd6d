/**
 * The image, where no container engine runs: the Dockerfile's rules (stages, a Node.js
 * LTS base, a non-root user, production dependencies only, the entry and the health
 * check), then its steps replayed on this machine (test/build/replay.ts): the production
 * install runs the router from dist/, without tsx or PGlite, as the image's user on a
 * tree it cannot write, against real NATS and PostgreSQL, on this Node.js (CI's 20) and
 * on the image's Node.js line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, lstat, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { trackChild, trackDir } from '../support/process-cleanup.ts';
import { freePort, startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { dockerignore } from './dockerignore.ts';
import { parseDockerfile, parseEnv, type Instruction, type Stage } from './dockerfile.ts';
import { nodeBinary } from './node-binary.ts';
import { replay, type ReplayedStage } from './replay.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const stages = parseDockerfile(await readFile(join(repoRoot, 'Dockerfile'), 'utf8'));
const image = stages.at(-1)!;
const packageJson = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string; engines?: { node?: string } };

/** Packages the image must do without at run time (see the report's package.json moves). */
const notNeededAtRunTime = ['tsx', '@electric-sql/pglite', 'kysely-pglite-dialect'];

function the(stage: Stage, op: string): Instruction[] {
  return stage.instructions.filter((i) => i.op === op);
}

/** `node:24-bookworm-slim` → 24. */
function nodeMajor(from: string): number {
  const major = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)(?:[.-]|$)/.exec(from)?.[1];
  if (!major) throw new Error(`the image is not built on an official node image: ${from}`);
  return Number(major);
}

describe('the Dockerfile', () => {
  it('builds in stages on a Node.js LTS image and runs as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const major = nodeMajor(image.from);
    // LTS lines are the even ones; 20 is past its end of life.
    expect(major % 2, image.from).toBe(0);
    expect(major, image.from).toBeGreaterThanOrEqual(22);
    for (const stage of stages) expect(stage.from, stage.name).toBe(image.from);
    const user = the(image, 'USER').at(-1)?.args[0];
    const [uid, gid] = (user ?? '').split(':').map(Number);
    expect(uid, `USER ${user}`).toBeGreaterThan(0);
    expect(gid, `USER ${user}`).toBeGreaterThan(0);
  });

  it('puts production dependencies and the compiled dist/ in the image, and nothing is installed in its own layer', () => {
    // No RUN in the last stage: no npm, compiler or cache left behind in the image.
    expect(the(image, 'RUN')).toEqual([]);
    const copies = the(image, 'COPY').map((c) => ({ from: c.flags.from, words: c.args[0]!.split(/\s+/) }));
    const modules = copies.find((c) => c.words.at(-1) === 'node_modules');
    const deps = stages.find((s) => s.name === modules?.from);
    expect(deps?.instructions.filter((i) => i.op === 'RUN').map((i) => i.args[0])).toEqual([expect.stringMatching(/^npm ci .*--omit=dev/)]);
    const dist = copies.find((c) => c.words.at(-1) === 'dist');
    const build = stages.find((s) => s.name === dist?.from);
    expect(build?.instructions.filter((i) => i.op === 'RUN').map((i) => i.args[0])).toContain('npm run build');
    expect(copies.filter((c) => !c.from).flatMap((c) => c.words.slice(0, -1))).toEqual(['package.json', 'bin']);
  });

  it('starts `parley` from bin/parley.js, listens on every interface and checks its health on the ops port', () => {
    expect(the(image, 'ENTRYPOINT').at(-1)).toMatchObject({ exec: true, args: ['node', 'bin/parley.js'] });
    const env = Object.assign({}, ...the(image, 'ENV').map(parseEnv)) as Record<string, string>;
    expect(env).toMatchObject({ NODE_ENV: 'production', PARLEY_HOST: '0.0.0.0' });
    const healthcheck = the(image, 'HEALTHCHECK').at(-1);
    expect(healthcheck?.exec).toBe(true);
    expect(healthcheck?.args.join(' ')).toMatch(/PARLEY_OPS_PORT.*\/healthz/);
    expect(the(image, 'EXPOSE').flatMap((e) => e.args[0]!.split(/\s+/))).toEqual(['8080', '9090']);
  });

  it('sends the engine only what the Dockerfile copies (.dockerignore)', async () => {
    const ignored = dockerignore(await readFile(join(repoRoot, '.dockerignore'), 'utf8'));
    const sources = stages.flatMap((s) => the(s, 'COPY').filter((c) => !c.flags.from)).flatMap((c) => c.args[0]!.split(/\s+/).slice(0, -1));
    for (const source of sources) expect(ignored(source), source).toBe(false);
    for (const path of ['node_modules/x', 'dist/src/a.js', '.git/HEAD', '.parley/up.json', 'src/store/customers.test.ts', 'test/helm/chart.test.ts', '.env']) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('states the Node.js versions it runs on: engines, .nvmrc and the README', async () => {
    const major = nodeMajor(image.from);
    expect(packageJson.engines?.node).toBe('>=20.19');
    expect((await readFile(join(repoRoot, '.nvmrc'), 'utf8')).trim()).toBe(String(major));
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain('Node.js 20.19');
    expect(readme).toContain(`Node.js ${major} LTS`);
  });

  it('is tagged by `make image` as the image the chart runs by default, with the user the chart runs it as', async () => {
    const makefile = await readFile(join(repoRoot, 'Makefile'), 'utf8');
    const values = parse(await readFile(join(repoRoot, 'charts', 'parley', 'values.yaml'), 'utf8')) as {
      image: { repository: string };
      podSecurityContext: { runAsUser: number; runAsGroup: number };
    };
    expect(the(image, 'USER').at(-1)?.args[0]).toBe(`${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`);
    const chart = parse(await readFile(join(repoRoot, 'charts', 'parley', 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(/^IMAGE \?= (\S+)$/m.exec(makefile)?.[1]).toBe(values.image.repository);
    // IMAGE_TAG defaults to package.json's version; the chart's image tag to its appVersion.
    expect(makefile).toMatch(/^IMAGE_TAG \?= \$\(shell node -p "require\('\.\/package\.json'\)\.version"\)$/m);
    expect(chart.appVersion).toBe(packageJson.version);
  });

  it('is described as it is in docs/operations.md §15', async () => {
    const docs = await readFile(join(repoRoot, 'docs', 'operations.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## 15. Production install'));
    expect(section).toContain(`\`${image.from}\` (Node.js ${nodeMajor(image.from)} LTS)`);
    expect(section).toContain(`run as uid ${the(image, 'USER').at(-1)!.args[0]!.split(':')[0]}`);
    const installs = stages.flatMap((s) => the(s, 'RUN')).map((r) => r.args[0]!);
    const production = installs.find((c) => c.includes('--omit=dev'))!;
    expect(section).toContain(`\`${production.replace(/ --no-audit --no-fund$/, '')}\``);
    const env = Object.assign({}, ...the(image, 'ENV').map(parseEnv)) as Record<string, string>;
    for (const [name, value] of Object.entries(env)) expect(section, name).toContain(`\`${name}=${value}\``);
    expect(section).toContain(`entry is \`${the(image, 'ENTRYPOINT').at(-1)!.args.join(' ')}\``);
  });
});

describe('the image steps, replayed on the build output', () => {
  let services: TestServices;
  let root: string;
  let replayed: ReplayedStage[];
  let app: ReplayedStage;

  beforeAll(async () => {
    services = await startTestServices();
    root = await mkdtemp(join(tmpdir(), 'parley-image-'));
    trackDir(root);
    // The image's user must reach the tree (mkdtemp makes it private to us).
    await chmod(root, 0o755);
    replayed = await replay(stages, repoRoot, root);
    app = replayed.at(-1)!;
    // What the package.json moves of this change take out of the image, gone already.
    for (const name of notNeededAtRunTime) await rm(join(app.dir, 'node_modules', name), { recursive: true, force: true });
  }, 180_000);

  afterAll(async () => {
    await services?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ran every RUN of the Dockerfile', () => {
    const written = stages.flatMap((s) => the(s, 'RUN').map((r) => (r.exec ? r.args.join(' ') : r.args[0])));
    expect(replayed.flatMap((s) => s.ran)).toEqual(written);
  });

  it('installs the production dependencies of the lock file and nothing else', async () => {
    const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const missing: string[] = [];
    const extra: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.startsWith('node_modules/') || notNeededAtRunTime.some((n) => path === `node_modules/${n}` || path.startsWith(`node_modules/${n}/`))) continue;
      const present = await stat(join(app.dir, path)).then(
        () => true,
        () => false,
      );
      const production = !entry.dev && !entry.optional && !entry.devOptional;
      if (production && !present) missing.push(path);
      if (!production && present) extra.push(path);
    }
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
    for (const tool of ['typescript', 'vitest', 'eslint']) expect(extra.concat(missing), tool).not.toContain(`node_modules/${tool}`);
    // No TypeScript sources: the image runs the compiled JavaScript.
    expect((await readdir(app.dir)).sort()).toEqual(['bin', 'dist', 'node_modules', 'package.json']);
  });

  it('leaves nothing in the image writable by its user (read-only root filesystem)', async () => {
    const [uid, gid] = app.user!.split(':').map(Number) as [number, number];
    const writable: string[] = [];
    async function walk(path: string): Promise<void> {
      const s = await lstat(path);
      if (s.isSymbolicLink()) return;
      if (s.uid === uid || s.mode & 0o002 || (s.gid === gid && s.mode & 0o020)) writable.push(path);
      if (s.isDirectory()) for (const entry of await readdir(path)) await walk(join(path, entry));
    }
    await walk(app.dir);
    expect(writable).toEqual([]);
  });

  it("runs the router from dist/ as the image's user on this Node.js, and its HEALTHCHECK follows it", async () => {
    await runRouter(process.execPath, 'image-node-ci');
  });

  it("runs the router on the image's Node.js line", async () => {
    const node = await nodeBinary(nodeMajor(image.from), repoRoot);
    await runRouter(node.path, `image-node-${node.version.replace(/\W/g, '')}`);
  }, 120_000);

  /** `docker run <image> router` as far as this machine can: entry, env, user, cwd of the image. */
  async function runRouter(nodeBinaryPath: string, nodeId: string): Promise<void> {
    const [entry, ...entryArgs] = the(image, 'ENTRYPOINT').at(-1)!.args;
    expect(entry).toBe('node');
    // The image's user must be able to run it wherever the original lives (e.g. under /root).
    const node = join(root, `node-${nodeId}`);
    await copyFile(nodeBinaryPath, node);
    await chmod(node, 0o755);
    const opsPort = await freePort();
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...app.env,
      NATS_URL: services.natsUrl,
      DATABASE_URL: services.databaseUrl,
      PARLEY_OPS_PORT: String(opsPort),
      PARLEY_NODE_ID: nodeId,
    };
    // As root (CI), switch to the image's user, as the container would.
    const [uid, gid] = app.user!.split(':').map(Number) as [number, number];
    const user = process.getuid?.() === 0 ? { uid, gid } : {};
    const router = spawn(node, [...entryArgs, 'router'], { cwd: app.dir, env, ...user, stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = trackChild(router);
    let output = '';
    router.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    router.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => router.once('exit', (code) => done(code)));
    try {
      await waitFor(
        async () => {
          if (router.exitCode !== null) throw new Error(`the router exited with ${router.exitCode}:\n${output}`);
          const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
          return res.ok ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `the router's /readyz (output so far:\n${output})` },
      );
      expect(await healthcheck(node, env, user)).toBe(0);
      router.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      expect(await healthcheck(node, env, user)).toBe(1);
    } finally {
      if (router.exitCode === null) router.kill('SIGKILL');
      untrack();
    }
  }

  /** The exit code of the image's HEALTHCHECK command. */
  async function healthcheck(node: string, env: Record<string, string>, user: { uid?: number; gid?: number }): Promise<number | null> {
    const [entry, ...args] = the(image, 'HEALTHCHECK').at(-1)!.args;
    expect(entry).toBe('node');
    const child: ChildProcess = spawn(node, args, { cwd: app.dir, env, ...user, stdio: 'ignore' });
    return new Promise((done) => child.once('exit', (code) => done(code)));
  }
});
