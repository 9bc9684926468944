// Finds the programs a TypeScript file starts with node:child_process, for the
// system-package check: the first argument of spawn/execFile/… when it is a literal, or a
// `const` in the same file whose value is a literal. A program computed at run time (a built
// binary's path, process.execPath) is not a system package and is left alone.
import ts from 'typescript';

const LAUNCHERS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'execFileAsync']);

export interface TsCommand {
  readonly command: string;
  readonly line: number;
}

function literal(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) {
    return node.text;
  }
  return undefined;
}

/** The programs `source` launches, with their line numbers. */
export function tsCommands(fileName: string, source: string): TsCommand[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2024, true);
  const consts = new Map<string, string>();
  const launchers = new Set(LAUNCHERS);
  const calls: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) {
      const value = literal(node.initializer);
      if (value !== undefined) consts.set(node.name.text, value);
      // `const run = promisify(execFile)`: `run` launches programs too.
      const init = node.initializer;
      if (
        init &&
        ts.isCallExpression(init) &&
        ts.isIdentifier(init.expression) &&
        init.expression.text === 'promisify' &&
        init.arguments[0] &&
        ts.isIdentifier(init.arguments[0]) &&
        LAUNCHERS.has(init.arguments[0].text)
      ) {
        launchers.add(node.name.text);
      }
    }
    if (ts.isCallExpression(node)) calls.push(node);
    ts.forEachChild(node, visit);
  };
  visit(file);
  const found: TsCommand[] = [];
  for (const call of calls) {
    const callee = call.expression;
    const name = ts.isIdentifier(callee)
      ? callee.text
      : ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : '';
    if (!launchers.has(name)) continue;
    const first = call.arguments[0];
    const command =
      literal(first) ?? (first && ts.isIdentifier(first) ? consts.get(first.text) : undefined);
    if (command === undefined) continue;
    const { line } = file.getLineAndCharacterOfPosition(call.getStart(file));
    found.push({ command, line: line + 1 });
  }
  return found;
}
