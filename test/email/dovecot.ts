import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile, chmod } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';

const run = promisify(execFile);

/**
 * Debian's Dovecot, unpacked (not installed) into a cache folder: `apt-get download` +
 * `dpkg -x`, so the machine's packages and services are left alone.
 */
const CACHE = join(tmpdir(), 'parley-dovecot-deb');

async function unpackedDovecot(): Promise<string> {
  const root = join(CACHE, 'root');
  if (existsSync(join(root, 'usr/sbin/dovecot'))) return root;
  await mkdir(CACHE, { recursive: true });
  const download = () => run('apt-get', ['download', 'dovecot-core', 'dovecot-imapd'], { cwd: CACHE });
  try {
    await download();
  } catch {
    // A fresh machine has no package lists yet.
    await run('apt-get', ['update', '-qq']);
    await download();
  }
  for (const deb of (await readdir(CACHE)).filter((f) => f.endsWith('.deb'))) await run('dpkg', ['-x', join(CACHE, deb), root]);
  return root;
}

export interface Dovecot {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  stop(): Promise<void>;
}

function answersImap(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('* OK'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A real IMAP server (Dovecot 2.3 from Debian) for one test file, on a free port, with
 * one user and a Maildir in a temporary folder. Dovecot looks for its helpers under
 * /usr/lib/dovecot: it runs in a private mount namespace (`unshare -m`, root) where the
 * unpacked package is overlaid on /usr, so nothing is installed on the machine.
 */
export async function startDovecot(): Promise<Dovecot> {
  const root = await unpackedDovecot();
  const dir = await mkdtemp(join(tmpdir(), 'parley-dovecot-'));
  const port = await freePort();
  const user = 'support';
  const password = 'imap-test-password';
  // Dovecot's auth and mail processes run as nobody: they must reach the users file and the Maildir.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'mail'));
  await chmod(join(dir, 'mail'), 0o777);
  await writeFile(join(dir, 'users'), `${user}:{PLAIN}${password}\n`);
  await writeFile(
    join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = parley-test-${port}
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const overlay = (path: string) => `mount -t overlay overlay -o lowerdir=${root}${path}:${path} ${path}`;
  const child: ChildProcess = spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', `${overlay('/usr/lib')} && ${overlay('/usr/bin')} && exec ${root}/usr/sbin/dovecot -F -c ${dir}/dovecot.conf`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`dovecot exited: ${stderr}`);
      return (await answersImap(port)) ? true : undefined;
    }, { what: `Dovecot answering on port ${port}`, timeoutMs: 20_000 });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw new Error(`Dovecot could not start (it needs root, unshare and Debian's archive): ${stderr}`, { cause: err });
  }
  return {
    port,
    user,
    password,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
