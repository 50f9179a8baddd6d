/**
 * Replays the Dockerfile's stages on this machine, without a container engine: each
 * stage's WORKDIR is a folder, COPY copies from the build context (minus .dockerignore)
 * or from an earlier stage's folder, and each RUN is one this file knows how to replay.
 * A RUN it does not know fails the replay, so the Dockerfile cannot gain a step the
 * build test does not run.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { dockerignore } from './dockerignore.ts';
import { parseEnv, type Instruction, type Stage } from './dockerfile.ts';

const execFileAsync = promisify(execFile);

export interface ReplayedStage {
  stage: Stage;
  /** The folder standing for the stage's WORKDIR. */
  dir: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  /** The RUN commands replayed, as written in the Dockerfile. */
  ran: string[];
}

/**
 * How each RUN is replayed. `npm ci` of the build stage installs the devDependencies
 * from the same lock file as the repository's own node_modules: it is linked, not
 * installed again. Every other command runs as written.
 */
const runs: Record<string, (dir: string, context: string) => Promise<void>> = {
  'npm ci --no-audit --no-fund': async (dir, context) => {
    const [mine, theirs] = await Promise.all([readFile(join(dir, 'package-lock.json')), readFile(join(context, 'package-lock.json'))]);
    if (!mine.equals(theirs)) throw new Error('the build stage has another package-lock.json than the repository');
    await symlink(join(context, 'node_modules'), join(dir, 'node_modules'), 'dir');
  },
  'npm run build': (dir) => npm(dir, ['run', 'build']),
  'npm run build:app': (dir) => npm(dir, ['run', 'build:app']),
  'npm run build:widget': (dir) => npm(dir, ['run', 'build:widget']),
  // npm's cache first: the same packages, without asking the registry for each one.
  'npm ci --omit=dev --omit=optional --no-audit --no-fund': (dir) => npm(dir, ['ci', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund'], { npm_config_prefer_offline: 'true' }),
};

async function npm(cwd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  await execFileAsync('npm', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
}

/** Replays every stage into folders under `root`; returns them in order (the last is the image). */
export async function replay(stages: Stage[], context: string, root: string): Promise<ReplayedStage[]> {
  const ignored = dockerignore(await readFile(join(context, '.dockerignore'), 'utf8').catch(() => ''));
  const done: ReplayedStage[] = [];
  for (const [index, stage] of stages.entries()) {
    const replayed: ReplayedStage = { stage, dir: join(root, `stage-${index}-${stage.name}`), workdir: '/', env: {}, user: undefined, ran: [] };
    await mkdir(replayed.dir, { recursive: true });
    for (const instruction of stage.instructions) await step(replayed, instruction, { context, ignored, done });
    done.push(replayed);
  }
  return done;
}

async function step(
  at: ReplayedStage,
  instruction: Instruction,
  { context, ignored, done }: { context: string; ignored: (path: string) => boolean; done: ReplayedStage[] },
): Promise<void> {
  switch (instruction.op) {
    case 'WORKDIR':
      // One folder per stage: a stage that changed WORKDIR after copying would need more.
      if (at.ran.length > 0) throw new Error(`WORKDIR after a RUN in stage ${at.stage.name} is not replayed`);
      at.workdir = instruction.args[0]!;
      return;
    case 'ENV':
      Object.assign(at.env, parseEnv(instruction));
      return;
    case 'USER':
      at.user = instruction.args[0];
      return;
    case 'COPY': {
      const words = instruction.exec ? instruction.args : instruction.args[0]!.split(/\s+/);
      const destination = words.at(-1)!;
      const sources = words.slice(0, -1);
      const from = instruction.flags.from;
      for (const source of sources) {
        const target = destination.endsWith('/') ? join(at.dir, destination, source.split('/').at(-1)!) : join(at.dir, destination);
        if (from) {
          const stage = done.find((s) => s.stage.name === from);
          if (!stage) throw new Error(`COPY --from=${from}: no earlier stage of that name`);
          const inside = relative(stage.workdir, source);
          if (inside.startsWith('..')) throw new Error(`COPY --from=${from} ${source}: outside the stage's WORKDIR ${stage.workdir}`);
          await cp(join(stage.dir, inside), target, { recursive: true, verbatimSymlinks: true });
        } else {
          if (ignored(source)) throw new Error(`COPY ${source}: .dockerignore leaves it out of the build context`);
          await cp(join(context, source), target, { recursive: true, filter: (path) => !ignored(relative(context, path)) });
        }
      }
      return;
    }
    case 'RUN': {
      const command = instruction.exec ? instruction.args.join(' ') : instruction.args[0]!;
      const run = runs[command];
      if (!run) throw new Error(`the build test does not know how to replay RUN ${command} (test/build/replay.ts)`);
      await run(at.dir, context);
      at.ran.push(command);
      return;
    }
    // Metadata of the image, checked by the test itself.
    case 'ARG':
    case 'EXPOSE':
    case 'HEALTHCHECK':
    case 'ENTRYPOINT':
    case 'CMD':
    case 'LABEL':
      return;
    default:
      throw new Error(`the build test does not replay ${instruction.op} (test/build/replay.ts)`);
  }
}
