import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { UpState } from '../../src/process/index.ts';
import { runParley } from '../cli/run-parley.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group: `make`, npm,
 * `parley up`, and whatever they started. Each test starts `parley up` as the leader of
 * its own group, as a shell does, and signals the group.
 */
/** Whether a process runs: it exists and is not a zombie waiting to be reaped. */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The state follows the command name, which is in parentheses: "1234 (nats-server) Z …".
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

describe('Ctrl-C on parley up', () => {
  const dirs: string[] = [];
  const groups: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of groups) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    // An embedded nats-server runs in a group of its own: stop any that a test left.
    for (const dir of dirs) {
      const pid = Number(await readFile(join(dir, 'nats', 'nats-server.pid'), 'utf8').catch(() => ''));
      try {
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        // stopped already (nats-server leaves its pid file behind)
      }
    }
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** The command `make up` runs after its prerequisites (which may run `npm ci`: not here). */
  const makeUpCommand = async () => {
    const recipe = (await readFile('Makefile', 'utf8')).split(/^up:.*\n/m)[1]?.split(/\n(?!\t)/)[0] ?? '';
    const last = recipe.split('\n').at(-1)?.trim() ?? '';
    expect(last).toMatch(/ up$/);
    return ['bash', '-c', last.replace(/ up$/, ' "$@"'), 'make-up'];
  };

  async function startUp(command: string[] = [process.execPath, 'bin/parley.js']): Promise<{ child: ChildProcess; dataDir: string; exited: Promise<number | null>; output: () => string }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-ctrl-c-'));
    dirs.push(dataDir);
    const env = { ...process.env, PARLEY_DATA: dataDir, PARLEY_PORT: '0', NATS_URL: '', DATABASE_URL: '', PARLEY_AUTH_SECRET: '' };
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, [...args, 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    groups.push(child);
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Parley is up.')) resolve();
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then((code) => reject(new Error(`parley up exited with ${code}:\n${output}`)));
    });
    return { child, dataDir, exited, output: () => output };
  }

  const natsPort = async (dataDir: string) => Number(new URL((JSON.parse(await readFile(join(dataDir, 'up.json'), 'utf8')) as UpState).natsUrl).port);
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });

  it('SIGINT to the process group of `make up`\'s command stops it cleanly: exit 0, no up.json, the embedded nats-server stopped', { timeout: 120_000 }, async () => {
    const up = await startUp(await makeUpCommand());
    const port = await natsPort(up.dataDir);
    expect(await listening(port)).toBe(true);
    // Meanwhile a second `parley up` on the same data folder refuses (one embedded database, one process).
    const second = await runParley(['up', '--data', up.dataDir], { NATS_URL: '', DATABASE_URL: '' });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`parley up: parley up is already running on ${up.dataDir} (pid ${up.child.pid}`);
    process.kill(-(up.child.pid as number), 'SIGINT');
    expect(await up.exited, up.output()).toBe(0);
    expect(await readdir(up.dataDir)).not.toContain('up.json');
    expect(await listening(port)).toBe(false);
    // It handed its partitions over through NATS before stopping the server: the router stopped, not crashed.
    expect(up.output()).not.toMatch(/"level":"error"/);
  });

  it('the same SIGINT delivered twice (the group, then a forwarding parent such as npx) still stops cleanly', { timeout: 120_000 }, async () => {
    const up = await startUp();
    process.kill(-(up.child.pid as number), 'SIGINT');
    // Sent once the first is being handled: two signals sent at once would merge into one.
    await waitFor(() => (up.output().includes('"msg":"stopping"') ? true : undefined), { what: 'parley up to start stopping' });
    process.kill(up.child.pid as number, 'SIGINT');
    expect(await up.exited, up.output()).toBe(0);
    expect(await readdir(up.dataDir)).not.toContain('up.json');
  });

  it('SIGTERM to npx, which exits without passing it on, still stops parley up cleanly', { timeout: 120_000 }, async () => {
    const up = await startUp(['npx', '--no-install', 'parley']);
    const group = up.child.pid as number;
    up.child.kill('SIGTERM');
    // npx's child is not ours to wait for: wait for the group to empty.
    const groupGone = () => {
      try {
        process.kill(-group, 0);
        return undefined;
      } catch {
        return true;
      }
    };
    await waitFor(groupGone, { what: 'parley up (under npx) to exit', timeoutMs: 60_000 });
    expect(await readdir(up.dataDir)).not.toContain('up.json');
    expect(up.output()).toContain('"msg":"stopping"');
  });

  it('after parley up was killed (SIGKILL), the next one stops the nats-server it left and starts', { timeout: 120_000 }, async () => {
    const killed = await startUp();
    const orphan = Number(await readFile(join(killed.dataDir, 'nats', 'nats-server.pid'), 'utf8'));
    const port = await natsPort(killed.dataDir);
    process.kill(-(killed.child.pid as number), 'SIGKILL');
    await killed.exited;
    expect(await listening(port)).toBe(true); // left behind, in its own process group

    const env = { ...process.env, PARLEY_PORT: '0', NATS_URL: '', DATABASE_URL: '', PARLEY_AUTH_SECRET: '' };
    const again = spawn(process.execPath, ['bin/parley.js', 'up', '--data', killed.dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    groups.push(again);
    let output = '';
    const exited = new Promise<number | null>((resolve) => again.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      again.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()).includes('Parley is up.') && resolve());
      again.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then((code) => reject(new Error(`parley up exited with ${code}:\n${output}`)));
    });
    expect(await listening(port)).toBe(false);
    // Gone, or a zombie its new parent has not reaped yet (PID 1 here need not reap at once).
    expect(await running(orphan)).toBe(false);
    process.kill(-(again.pid as number), 'SIGINT');
    expect(await exited).toBe(0);
  });

  it('a stale up.json (its process is gone) is recognized by `parley demo` and `parley token`', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-stale-'));
    dirs.push(dataDir);
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    const state: UpState = { gatewayUrl: 'http://127.0.0.1:1', natsUrl: 'nats://127.0.0.1:1', authSecret: 'x'.repeat(32), pid: gone.pid as number };
    await writeFile(join(dataDir, 'up.json'), JSON.stringify(state));
    for (const args of [['demo'], ['token', '--sub', 'alice']]) {
      const run = await runParley([...args, '--data', dataDir], { PARLEY_AUTH_SECRET: '' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`parley ${args[0]}: Parley is not running: ${join(dataDir, 'up.json')} names process ${gone.pid}, which has ended`);
    }
  });
});
