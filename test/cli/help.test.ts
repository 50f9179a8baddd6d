import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.ts';
import { runParley } from './run-parley.ts';

describe('parley --help and --version', () => {
  it.each(commands.map((c) => c.name))('`parley %s --help` prints its own usage and starts nothing', async (name) => {
    // No NATS and no database here: a command that started instead of printing its usage would fail.
    const run = await runParley([name, '--help'], { NATS_URL: 'nats://127.0.0.1:1', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', KUBECONFIG: '/dev/null' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: parley ${name}\\b`));
  });

  it('each option a command takes is in its usage', () => {
    for (const command of commands) {
      for (const option of Object.keys(command.options)) expect(command.usage, `${command.name} --${option}`).toContain(`--${option}`);
    }
  });

  it('`parley help` and `parley --help` list every command, operator included', async () => {
    for (const args of [['help'], ['--help'], []]) {
      const run = await runParley(args);
      expect(run.code).toBe(0);
      for (const { name } of commands) expect(run.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
  });

  it('`parley help <command>` is the same as `parley <command> --help`', async () => {
    const [viaHelp, viaFlag] = await Promise.all([runParley(['help', 'demo']), runParley(['demo', '-h'])]);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('`parley --version` prints the package version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    const run = await runParley(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`parley ${version}`);
  });

  it('an unknown option names the command and points to its --help (exit 2)', async () => {
    const run = await runParley(['router', '--partitions', '4']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("parley router: Unknown option '--partitions'");
    expect(run.stderr).toContain('See `parley router --help`.');
  });

  it('an unknown command prints the list of commands (exit 2)', async () => {
    const run = await runParley(['rooter']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('parley: unknown command "rooter"');
    expect(run.stderr).toContain('  router ');
  });
});
