import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { causeChain } from '../process/index.ts';
import { commands, UsageError, type Command } from './commands.ts';

const overview = () => `parley — open routing for contact-center messaging

Usage: parley <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(13)} ${c.summary}`).join('\n')}

  parley <command> --help   that command's options and environment
  parley --version          the version`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `parley ${pkg.version}`;
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || isHelp(name) || name === 'help') {
    const about = rest[0] && commands.find((c) => c.name === rest[0]);
    return void console.log(about ? about.usage : overview());
  }
  if (name === '--version' || name === '-v' || name === 'version') return void console.log(version());
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"`);
  if (rest.some(isHelp)) return void console.log(command.usage);
  const { values, positionals } = parse(command, rest);
  await command.run(values, positionals);
}

function parse(command: Command, args: string[]): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: command.options, strict: true, allowPositionals: command.positionals ?? false });
    return { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals };
  } catch (err) {
    // node's own wording ("Unknown option '--x'. To specify a positional argument…") is for scripts, not for parley's users.
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? (err.message.split('. ')[0] ?? err.message) : String(err);
    throw code?.startsWith('ERR_PARSE_ARGS') ? new UsageError(message, command.name) : err;
  }
}

const argv = process.argv.slice(2);
main(argv).catch((err: unknown) => {
  const prefix = commands.some((c) => c.name === argv[0]) ? `parley ${argv[0]}` : 'parley';
  if (err instanceof UsageError) {
    console.error(`${prefix}: ${err.message}`);
    console.error(err.command ? `See \`parley ${err.command} --help\`.` : overview());
    process.exit(2);
  }
  // One line that says what failed, then why, deepest cause last.
  console.error(`${prefix}: ${err instanceof Error ? err.message : String(err)}`);
  for (const cause of causeChain(err)) console.error(`  caused by: ${cause}`);
  process.exit(1);
});
