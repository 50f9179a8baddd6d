import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The README's quickstart: `parley up` on embedded defaults, then `parley demo` against it. */
describe('quickstart', () => {
  let up: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    if (up && up.exitCode === null) up.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs Parley all-in-one with an embedded nats-server and PGlite, and the demo completes a conversation', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-up-'));
    const env = { ...process.env, PARLEY_DATA: dataDir, PARLEY_PORT: '0', PARLEY_OPS_PORT: '0', NATS_URL: '', DATABASE_URL: '', PARLEY_AUTH_SECRET: '' };
    const child = spawn(process.execPath, ['bin/parley.js', 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    up = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Parley is up.')) resolve();
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`parley up exited with ${code}:\n${output}`)));
    });
    expect(output).toMatch(/agent API \(HTTP \+ WebSocket\)\s+http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(output).toContain('(embedded nats-server)');
    expect(output).toContain('embedded PostgreSQL (PGlite)');

    const demo = await run(process.execPath, ['bin/parley.js', 'demo', '--data', dataDir], { env });
    expect(demo.stdout).toContain('offers conversation');
    expect(demo.stdout).toContain('accepts the offer');
    expect(demo.stdout).toMatch(/channel adapter\s+receives \w+ on parley\.v1\.outbound\.demo\.whatsapp/);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // A clean stop removes the state file other commands use to find a running Parley.
    expect(await readdir(dataDir)).not.toContain('up.json');
  });
});
