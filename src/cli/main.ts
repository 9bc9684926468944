#!/usr/bin/env node
/**
 * `ganymede <command>`: dispatches to one of `commands/`. Argument parsing inside each command
 * uses node:util parseArgs (strict), so an unknown flag is an error that names it.
 */
import { enableCompileCache } from 'node:module';
import { isGanymedeError } from '../errors/ganymede-error.ts';
import { GANYMEDE_VERSION } from '../version.ts';
import { commands } from './commands/index.ts';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: ganymede <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `ganymede <command> --help` for the options of one command,',
    'and `ganymede --version` for the version.',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`ganymede ${GANYMEDE_VERSION}`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`ganymede: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (isGanymedeError(e)) {
      console.error(`ganymede ${name}: ${e.userMessage}${e.detail ? `\n  ${e.detail}` : ''}`);
      return e.code === 'bad_request' ? 2 : 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  // V8's compiled code kept on disk (NODE_COMPILE_CACHE, else the OS temp folder), so a
  // restarted hub loads its modules in about half the time: the Kubernetes client alone is
  // ~900 modules, a second of a restart (bench/scale). A cache that cannot be written is
  // skipped (the call reports it and throws nothing).
  enableCompileCache();
  process.exitCode = await main(process.argv.slice(2));
}
