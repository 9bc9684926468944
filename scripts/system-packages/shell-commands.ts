// Finds the external commands a bash script runs, for the system-package check.
//
// Written by hand because no maintained npm package exposes a bash AST with command words
// (sh-syntax, the WASM port of mvdan/sh, returns statements without their arguments). The
// scripts in this repository are plain bash, so a tokenizer that knows quotes, `$(…)`,
// here-documents and the command separators finds every command word; anything it cannot
// read as a literal (a word with `$`, a quoted path) is not a command name and is skipped.

/** Bash keywords and builtins: never a package's binary. */
const SHELL_WORDS = new Set([
  ...['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac'],
  ...['in', 'function', 'select', 'time', '{', '}', '!', '[[', ']]', '[', 'test'],
  ...['echo', 'printf', 'cd', 'exit', 'return', 'set', 'unset', 'export', 'local', 'read'],
  ...['shift', 'trap', 'eval', 'exec', 'source', '.', 'true', 'false', ':', 'wait', 'kill'],
  ...['command', 'type', 'hash', 'declare', 'readonly', 'ulimit', 'umask', 'pwd', 'let'],
  ...['break', 'continue', 'mapfile', 'readarray', 'getopts', 'builtin', 'shopt', 'jobs'],
]);

/** Words that run their argument as a command: `exec nginx`, `nice -n 19 go build`. */
const WRAPPERS = new Set(['exec', 'command', 'nice', 'env', 'sudo', 'timeout', 'nohup']);

export interface ShellCommand {
  readonly command: string;
  readonly line: number;
}

/**
 * Replaces each quoted string with the word `_q_` (it may be a command, but never a literal
 * name we can check), keeping the `$(…)` inside double quotes, and drops comments, arithmetic
 * and here-document bodies.
 */
function blankLiterals(source: string): string {
  let out = '';
  let i = 0;
  const heredocs: string[] = [];
  while (i < source.length) {
    const c = source[i] ?? '';
    if (c === '\\') {
      out += '  ';
      i += 2;
    } else if (c === "'") {
      const end = source.indexOf("'", i + 1);
      const stop = end === -1 ? source.length : end + 1;
      out += '_q_' + source.slice(i + 3, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (source.startsWith('$((', i)) {
      const end = matchParen(source, i + 1);
      out += source.slice(i, end + 1).replace(/[^\n]/g, ' ');
      i = end + 1;
    } else if (c === '"') {
      // Keep command substitutions (they run commands); blank the rest of the string.
      let j = i + 1;
      out += '_q_';
      while (j < source.length && source[j] !== '"') {
        if (source[j] === '\\') {
          out += '  ';
          j += 2;
        } else if (source.startsWith('$((', j)) {
          const end = matchParen(source, j + 1);
          out += ' '.repeat(end + 1 - j);
          j = end + 1;
        } else if (source.startsWith('$(', j)) {
          const end = matchParen(source, j + 1);
          out += `$(${blankLiterals(source.slice(j + 2, end))})`;
          j = end + 1;
        } else {
          out += source[j] === '\n' ? '\n' : ' ';
          j += 1;
        }
      }
      i = j + 1;
    } else if (c === '#' && (i === 0 || /[\s;(]/.test(source[i - 1] ?? ''))) {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end;
    } else if (source.startsWith('<<', i) && source[i + 2] !== '<') {
      const m = /^<<-?\s*(['"]?)([A-Za-z_]+)\1/.exec(source.slice(i));
      if (m?.[2]) heredocs.push(m[2]);
      const len = m ? m[0].length : 2;
      out += ' '.repeat(len);
      i += len;
    } else if (c === '\n' && heredocs.length > 0) {
      // Skip here-document bodies: they are data, not commands.
      out += '\n';
      i += 1;
      for (const tag of heredocs.splice(0)) {
        const re = new RegExp(`^\\s*${tag}\\s*$`, 'm');
        const rest = source.slice(i);
        const m = re.exec(rest);
        const body = m ? rest.slice(0, m.index + m[0].length) : rest;
        out += body.replace(/[^\n]/g, ' ');
        i += body.length;
      }
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** The index of the `)` that closes the `(` at `open`, skipping quoted text. */
function matchParen(source: string, open: number): number {
  let depth = 0;
  for (let j = open; j < source.length; j += 1) {
    const quote = source[j];
    if (quote === "'" || quote === '"') {
      const end = source.indexOf(quote, j + 1);
      j = end === -1 ? source.length : end;
    } else if (source[j] === '(') depth += 1;
    else if (source[j] === ')') {
      depth -= 1;
      if (depth === 0) return j;
    }
  }
  return source.length - 1;
}

/** The external commands of a bash script, with their line numbers. */
export function shellCommands(source: string): ShellCommand[] {
  const text = blankLiterals(source)
    .replace(/\\\n/g, '  ')
    // Array literals (`need+=(a b)`) hold data, not commands.
    .replace(/\b[A-Za-z_]\w*\+?=\([^)]*\)/g, (m) => m.replace(/[^\n]/g, ' '));
  const functions = new Set(
    [...text.matchAll(/^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)/gm)].map((m) => m[1] ?? ''),
  );
  const found: ShellCommand[] = [];
  // Split into simple commands at every place a new command may begin.
  const separators = /(\$\(|`|&&|\|\||[;|&(){}\n]|\bthen\b|\bdo\b|\belse\b|!)/;
  let line = 1;
  for (const piece of text.split(separators)) {
    if (separators.test(piece) && piece.length <= 4) {
      line += (piece.match(/\n/g) ?? []).length;
      continue;
    }
    const words = piece.trim().split(/\s+/).filter(Boolean);
    const start = line;
    line += (piece.match(/\n/g) ?? []).length;
    let k = 0;
    // Leading assignments (`FOO=bar cmd`) and redirections are not the command.
    while (k < words.length && /^([A-Za-z_]\w*(\[[^\]]*\])?\+?=|[0-9]*[<>])/.test(words[k] ?? '')) {
      k += 1;
    }
    while (k < words.length && WRAPPERS.has(words[k] ?? '')) {
      k += 1;
      while (k < words.length && (words[k] ?? '').startsWith('-')) k += 2; // `nice -n 19`
      while (k < words.length && /^[A-Za-z_]\w*=/.test(words[k] ?? '')) k += 1; // `env A=b`
    }
    const word = words[k];
    if (word === undefined || SHELL_WORDS.has(word) || functions.has(word)) continue;
    // Not a literal command name: a variable, a relative script, a glob, a number.
    if (!/^(\/[\w./+-]+|[A-Za-z][\w.+-]*)$/.test(word)) continue;
    found.push({ command: word, line: start });
  }
  return found;
}
