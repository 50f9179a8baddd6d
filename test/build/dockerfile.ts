/**
 * A reader of the Dockerfile's instructions, enough for the build test to replay the
 * image's steps without a container engine: stages, their instructions with flags and
 * arguments, `ARG` defaults substituted, line continuations and comments handled.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ENV … */
  op: string;
  /** `--from=build` → { from: 'build' }. */
  flags: Record<string, string>;
  /** The rest of the line: exec form (JSON array) parsed, shell form as one string. */
  args: string[];
  /** True when the arguments were written as a JSON array (exec form). */
  exec: boolean;
  /** The line as written, after continuations are joined. */
  text: string;
}

export interface Stage {
  /** `AS name`, or the stage's index as a string. */
  name: string;
  /** The base image, ARG defaults substituted. */
  from: string;
  instructions: Instruction[];
}

export class DockerfileError extends Error {
  override readonly name = 'DockerfileError';
}

/** Joins continued lines, drops comments and blank lines. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!current && /^\s*(#|$)/.test(line)) continue;
    // A comment inside a continued instruction is dropped, as docker does.
    if (current && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1).trim() + ' ';
      continue;
    }
    lines.push((current + line.trim()).trim());
    current = '';
  }
  if (current) lines.push(current.trim());
  return lines;
}

function parseInstruction(line: string, args: Record<string, string>): Instruction {
  const match = /^(\w+)\s*(.*)$/.exec(line);
  if (!match) throw new DockerfileError(`cannot read "${line}"`);
  const op = match[1]!.toUpperCase();
  let rest = match[2]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a?: string, b?: string) => args[(a ?? b)!] ?? whole);
  const flags: Record<string, string> = {};
  // HEALTHCHECK's flags come before its CMD; COPY's and RUN's before their sources.
  for (let flag = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest); flag; flag = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags[flag[1]!] = flag[2] ?? 'true';
    rest = rest.slice(flag[0].length);
  }
  const jsonAt = op === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/, '') : rest;
  if (jsonAt.startsWith('[')) {
    try {
      const parsed = JSON.parse(jsonAt) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return { op, flags, args: parsed, exec: true, text: line };
    } catch {
      // Not JSON: docker treats it as shell form too.
    }
  }
  return { op, flags, args: [op === 'HEALTHCHECK' ? jsonAt : rest], exec: false, text: line };
}

/** The stages of a Dockerfile, in order. */
export function parseDockerfile(text: string): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const instruction = parseInstruction(line, args);
    if (instruction.op === 'ARG') {
      const [name, value] = instruction.args[0]!.split('=', 2);
      // An ARG inside a stage only declares it there; a default given before FROM is global.
      if (value !== undefined) args[name!] = value;
      if (stages.length === 0) continue;
    }
    if (instruction.op === 'FROM') {
      const [from, as, name] = instruction.args[0]!.split(/\s+/);
      if (!from) throw new DockerfileError(`FROM without an image: "${line}"`);
      stages.push({ name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length), from, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new DockerfileError(`"${line}" comes before any FROM`);
    stage.instructions.push(instruction);
  }
  return stages;
}

/** `KEY=value KEY2="value 2"` (ENV) as an object. */
export function parseEnv(instruction: Instruction): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of instruction.args[0]!.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) env[m[1]!] = m[3] ?? m[2]!;
  return env;
}
