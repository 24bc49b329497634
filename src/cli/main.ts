#!/usr/bin/env node
import { runCommand, type Command } from './command.js';
import { UsageError } from './flags.js';
import { initCommand } from './init.js';
import { trainCommand } from './train.js';
import { recallCommand } from './recall.js';
import { evaluateCommand } from './evaluate.js';
import { mtebCommand } from './mteb.js';
import { evaluateRunCommand } from './evaluate-run.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { exportCommand } from './export.js';
import { embedCommand, similarityCommand } from './embed.js';
import { serveCommand } from './serve.js';

const commands: Command[] = [initCommand, trainCommand, recallCommand, evaluateCommand, mtebCommand, evaluateRunCommand, compareCommand, demoCommand, exportCommand, embedCommand, similarityCommand, serveCommand];

function usage(): string {
  return ['usage: inbatch <command> [flags]   (inbatch <command> --help for its flags)', '', 'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(14)}${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    console.error(`inbatch: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    await runCommand(cmd, rest);
    return 0;
  } catch (e) {
    const err = e as Error;
    console.error(`inbatch ${name}: ${err.message}`);
    if (err instanceof UsageError) console.error(`(inbatch ${name} --help lists the flags)`);
    else if (process.env.INBATCH_DEBUG) console.error(err.stack);
    return err instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
