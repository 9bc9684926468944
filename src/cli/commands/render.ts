import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { notebookCrdYaml } from '../../kubernetes/crd/notebook-crd.ts';
import { render } from '../../kubernetes/render.ts';
import { newToken } from '../../kubernetes/resources/secret.ts';
import { defaultBuildSettings } from '../../kubernetes/resources/settings.ts';
import { dnsSubdomain } from '../../notebook-spec/schema.ts';
import type { CliCommand } from '../command.ts';

const usage = `Usage: ganymede render -f FILE [--namespace NS] [--output yaml|json]
       ganymede render --crd

Prints the Kubernetes objects the Ganymede operator creates for the JupyterNotebook
resources in FILE ("-" reads standard input): a Secret with a fresh token, the home
PersistentVolumeClaim, a Service, a NetworkPolicy, an Ingress when asked for, and the
Deployment. The output can be read, kept in Git, or given to \`kubectl apply -f -\`.
Objects carry no ownerReference (there is no live JupyterNotebook to point at).

Options:
  -f, --filename FILE   YAML with one or more JupyterNotebook documents
  -n, --namespace NS    namespace for every object (default: each resource's, else "default")
  -o, --output FORMAT   yaml (default) or json (a v1 List)
      --crd             print the JupyterNotebook CustomResourceDefinition instead`;

function readInput(file: string, stdin: () => string): string {
  try {
    return file === '-' ? stdin() : readFileSync(file, 'utf8');
  } catch (e) {
    throw new GanymedeError('bad_request', `Cannot read ${file}.`, {
      field: 'filename',
      detail: (e as Error).message,
    });
  }
}

export function runRender(
  args: readonly string[],
  io: { readonly stdin: () => string; readonly write: (text: string) => void },
): number {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      filename: { type: 'string', short: 'f' },
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o', default: 'yaml' },
      crd: { type: 'boolean', default: false },
    },
  });
  if (values.crd) {
    io.write(notebookCrdYaml());
    return 0;
  }
  if (values.filename === undefined) {
    throw new GanymedeError('bad_request', 'Say which file to render with -f FILE.', {
      field: 'filename',
    });
  }
  const output = values.output;
  if (output !== 'yaml' && output !== 'json') {
    throw new GanymedeError('bad_request', `--output must be yaml or json, not "${output}".`, {
      field: 'output',
    });
  }
  if (values.namespace !== undefined && !dnsSubdomain.safeParse(values.namespace).success) {
    throw new GanymedeError(
      'bad_request',
      `--namespace "${values.namespace}" is not a valid namespace name.`,
      {
        field: 'namespace',
      },
    );
  }
  const source = values.filename === '-' ? 'standard input' : values.filename;
  io.write(
    render(readInput(values.filename, io.stdin), source, {
      namespace: values.namespace,
      output,
      settings: defaultBuildSettings,
      newToken,
    }),
  );
  return 0;
}

export const renderCommand: CliCommand = {
  name: 'render',
  usage,
  run: (args) => {
    try {
      return Promise.resolve(
        runRender(args, {
          stdin: () => readFileSync(0, 'utf8'),
          write: (text) => process.stdout.write(text),
        }),
      );
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  },
};
