import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What `parley up` tells other commands on the same machine (`parley demo`, `parley token`). */
export interface UpState {
  gatewayUrl: string;
  natsUrl: string;
  authSecret: string;
  pid: number;
}

export const upStateFile = (dataDir: string) => join(dataDir, 'up.json');

export async function writeUpState(dataDir: string, state: UpState): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(upStateFile(dataDir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

export class NotRunningError extends Error {
  override readonly name = 'NotRunningError';
}

export async function readUpState(dataDir: string): Promise<UpState> {
  try {
    return JSON.parse(await readFile(upStateFile(dataDir), 'utf8')) as UpState;
  } catch (err) {
    throw new NotRunningError(`no running Parley found (${upStateFile(dataDir)}); start one with \`make up\``, { cause: err });
  }
}

/** The token secret of a local installation: generated once, kept with its data. */
export async function localSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, 'secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, secret + '\n', { mode: 0o600 });
    return secret;
  }
}
