import { helpText, parseFlags, type FlagSpecs, type FlagValues } from './flags.js';

/** One CLI command: flags, a one-line summary, and what it runs. */
export interface Command {
  name: string;
  summary: string;
  usage?: string;
  flags: FlagSpecs;
  run(flags: FlagValues, positional: string[]): Promise<void> | void;
}

export async function runCommand(cmd: Command, argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText(cmd.name, cmd.summary, cmd.flags, cmd.usage));
    return;
  }
  const { flags, positional } = parseFlags(argv, cmd.flags);
  await cmd.run(flags, positional);
}
