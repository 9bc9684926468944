import type { CliCommand } from '../command.ts';
import { operatorCommand } from './operator.ts';
import { renderCommand } from './render.ts';
import { serveCommand } from './serve.ts';

export const commands: readonly CliCommand[] = [serveCommand, renderCommand, operatorCommand];
