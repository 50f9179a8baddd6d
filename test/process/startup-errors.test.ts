import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runParley } from '../cli/run-parley.ts';
import { freePort, startTestServices, type TestServices } from '../support/services.ts';

/**
 * A process that cannot start says which dependency failed, where (without credentials)
 * and why, on one line, and exits non-zero.
 */
describe('startup errors name the dependency, its address and the cause', () => {
  let services: TestServices;
  let closed: number;
  beforeAll(async () => {
    services = await startTestServices();
    closed = await freePort();
  });
  afterAll(() => services?.stop());

  const database = (name: string, user = 'postgres:s3cret') => {
    const url = new URL(services.databaseUrl);
    url.username = user.split(':')[0] as string;
    url.password = user.split(':')[1] ?? '';
    url.pathname = `/${name}`;
    return url.toString();
  };

  it('no NATS: the URL (password hidden), the word NATS, and the refusal', async () => {
    const run = await runParley(['router'], { NATS_URL: `nats://parley:s3cret@127.0.0.1:${closed}`, DATABASE_URL: services.databaseUrl });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^parley router: NATS at nats://parley:\\*\\*\\*@127\\.0\\.0\\.1:${closed}: cannot connect: connection refused$`, 'm'));
    expect(run.stderr).not.toContain('s3cret');
  });

  it('a database that does not exist', async () => {
    const run = await runParley(['router'], { NATS_URL: services.natsUrl, DATABASE_URL: database('parley_no_such_db') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^parley router: PostgreSQL at postgres:\/\/postgres:\*\*\*@[^ ]+\/parley_no_such_db: cannot connect: database "parley_no_such_db" does not exist$/m);
    expect(run.stderr).not.toContain('s3cret');
  });

  it('a role that does not exist', async () => {
    const run = await runParley(['gateway'], { NATS_URL: services.natsUrl, DATABASE_URL: database('postgres', 'parley_no_such_role:s3cret'), PARLEY_AUTH_SECRET: 'x'.repeat(32) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^parley gateway: PostgreSQL at postgres:\/\/parley_no_such_role:\*\*\*@[^ ]+: cannot connect: .*parley_no_such_role/m);
    expect(run.stderr).not.toContain('s3cret');
  });

  it('a closed database port', async () => {
    const run = await runParley(['router'], { NATS_URL: services.natsUrl, DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${closed}/parley` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^parley router: PostgreSQL at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/parley: cannot connect: connect ECONNREFUSED`, 'm'));
  });

  it('an empty kubeconfig', async () => {
    const run = await runParley(['operator'], { NATS_URL: services.natsUrl, KUBECONFIG: '/dev/null' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^parley operator: Kubernetes API at KUBECONFIG=\/dev\/null: cannot load the kubeconfig: /m);
  });

  it('an unreachable Kubernetes API server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-kube-'));
    const file = join(dir, 'config');
    await writeFile(
      file,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${closed}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t0ken}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    try {
      const run = await runParley(['operator'], { NATS_URL: services.natsUrl, KUBECONFIG: file });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^parley operator: Kubernetes API at https://127\\.0\\.0\\.1:${closed}/?: cannot reach the API server: [\\s\\S]*ECONNREFUSED`, 'm'));
      expect(run.stderr).not.toContain('t0ken');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a configuration folder that does not exist', async () => {
    const run = await runParley(['router'], { NATS_URL: services.natsUrl, DATABASE_URL: services.databaseUrl, PARLEY_CONFIG: '/nonexistent/parley-config' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^parley router: configuration folder at \/nonexistent\/parley-config: cannot read it .*ENOENT/m);
  });
});
