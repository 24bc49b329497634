#!/usr/bin/env node
// The inbatch CLI: one file per command; this file wires them and maps errors to exit codes
// (2: usage, 1: data or runtime). --snake_case flags are read as --kebab-case (PaddleNLP's spelling).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { UsageError } from '../util/errors.js';
import { addCompareCommand } from './compare.js';
import { addConvertCommand } from './convert.js';
import { addDemoCommand } from './demo.js';
import { addEmbedCommand, addSimilarityCommand } from './embed.js';
import { addEvaluateRunCommand } from './evaluate-run.js';
import { addEvaluateCommand } from './evaluate.js';
import { addExportCommand } from './export.js';
import { addFuseCommand } from './fuse.js';
import { addIndexCommand } from './index-command.js';
import { addInitCommand } from './init.js';
import { addMineCommand } from './mine.js';
import { addMtebCommand } from './mteb.js';
import { translatePaddleFlags } from './paddle-flags.js';
import { addPrepareCommand } from './prepare.js';
import { addRecallCommand } from './recall.js';
import { addServeCommand } from './serve.js';
import { addSplitCommand } from './split.js';
import { addTrainCommand } from './train.js';

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('inbatch')
    .description('Train, index, evaluate and serve dual-encoder text embeddings with in-batch negatives.')
    .version(version)
    .exitOverride()
    .showSuggestionAfterError()
    .showHelpAfterError('(add --help for the flags)')
    .configureHelp({ sortSubcommands: false, helpWidth: Math.min(process.stdout.columns ?? 100, 120) });
  for (const add of [addInitCommand, addConvertCommand, addPrepareCommand, addTrainCommand, addMineCommand, addIndexCommand, addRecallCommand, addEvaluateCommand, addMtebCommand, addEvaluateRunCommand, addFuseCommand, addCompareCommand, addSplitCommand,
    addDemoCommand, addExportCommand, addEmbedCommand, addSimilarityCommand, addServeCommand]) add(program);
  return program;
}

/** --save_dir and --save-dir are the same flag; values are left alone. */
export function kebabFlags(argv: string[]): string[] {
  let afterDashes = false;
  return argv.map((arg) => {
    if (arg === '--') afterDashes = true;
    if (afterDashes || !arg.startsWith('--')) return arg;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    return name.replace(/_/g, '-') + (eq < 0 ? '' : arg.slice(eq));
  });
}

async function main(argv: string[]): Promise<number> {
  const command = argv.find((a) => !a.startsWith('-')) ?? '';
  try {
    const program = buildProgram();
    const sub = program.commands.find((c) => c.name() === command);
    const longFlags = sub ? sub.options.map((o) => o.long).filter((l): l is string => Boolean(l)) : [];
    const { argv: translated, notes } = translatePaddleFlags(kebabFlags(argv), longFlags);
    for (const note of notes) console.error(note);
    await program.parseAsync(translated, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0; // a command may set its own (train: 130 when interrupted)
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has printed its message (and suggestions) already
      return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code) ? 0 : e.code === 'commander.executeSubCommandAsync' ? 1 : 2;
    }
    const err = e as Error;
    console.error(`inbatch ${command}: ${err.message}`);
    if (process.env.INBATCH_DEBUG) console.error(err.stack);
    return err instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
