import { execFile } from 'node:child_process';

export interface ParleyRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/parley.js …` to its end, as a user would from the repository root, with
 * this environment on top of the test's (the empty string unsets a variable for parley).
 */
export function runParley(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ParleyRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['bin/parley.js', ...args], { env: { ...process.env, PARLEY_LOG_LEVEL: 'warn', ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`parley ${args.join(' ')}: ${err.message}`, { cause: err }));
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}
