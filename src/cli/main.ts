import { packageVersion } from '../util/version';
import { EXIT, UsageError, parseCommandArgs } from './command';
import type { Command } from './command';
import { bgpCommand } from './commands/bgp';
import { checkCommand } from './commands/check';
import { explainCommand } from './commands/explain';
import { proxyCommand } from './commands/proxy';
import { reportCommand } from './commands/report';
import { serveCommand } from './commands/serve';
import { statusCommand } from './commands/status';

/** Every subcommand, in the order `anypick --help` lists them. */
function commands(): Command[] {
  return [checkCommand, serveCommand, explainCommand, bgpCommand, reportCommand, proxyCommand, statusCommand];
}

/** The names of every subcommand. */
export function commandNames(): string[] {
  return commands().map((c) => c.name);
}

/** The subcommand called `name`, if there is one. */
export function commandByName(name: string): Command | undefined {
  return commands().find((c) => c.name === name);
}


function mainHelp(cmds: Command[]): string {
  const width = Math.max(...cmds.map((c) => c.name.length));
  return [
    'anypick — anycast DNS, datacenter, cluster and service pick from one delivery file',
    '',
    'Usage: anypick <command> [options]',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: anypick <command> --help)',
    '  -V, --version  print the version',
    '',
    'Exit codes: 0 ok, 1 invalid input or failed check, 2 usage error, 3 runtime failure.',
  ].join('\n');
}

/** Entry point: runs one subcommand and resolves to its exit code. */
export async function main(argv: string[]): Promise<number> {
  const cmds = commands();
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(mainHelp(cmds) + '\n');
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (first === '-V' || first === '--version') {
    process.stdout.write(packageVersion() + '\n');
    return EXIT.OK;
  }
  const cmd = cmds.find((c) => c.name === first);
  if (!cmd) {
    process.stderr.write(`anypick: unknown command '${first}'\n\n${mainHelp(cmds)}\n`);
    return EXIT.USAGE;
  }
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      process.stdout.write(cmd.usage.trimEnd() + '\n');
      return EXIT.OK;
    }
    return await cmd.run(values, positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`anypick ${cmd.name}: ${err.message}\n\n${cmd.usage.trimEnd()}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(`anypick ${cmd.name}: ${(err as Error).message}\n`);
    return EXIT.RUNTIME;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
