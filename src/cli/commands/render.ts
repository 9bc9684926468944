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
resources in FILE ("-" reads standard input): the home PersistentVolumeClaim, a Service, a
NetworkPolicy, an Ingress when asked for, and the Deployment. The output is the same on
every run, so it can be kept in Git and applied by a GitOps tool, or given to
\`kubectl apply -f -\`. Objects carry no ownerReference (there is no live JupyterNotebook to
point at).

The server's token comes from a Secret named like the notebook, key "token", which is not
printed unless asked for (a token in Git is a leaked token):

  kubectl create secret generic NAME --from-literal=token=$(openssl rand -hex 32)

Options:
  -f, --filename FILE   YAML with one or more JupyterNotebook documents
  -n, --namespace NS    namespace for every object (default: each resource's, else "default")
  -o, --output FORMAT   yaml (default) or json (a v1 List)
      --with-secret     also print each notebook's token Secret, with a fresh random token
      --token-file F    also print the Secrets, with the token in file F (same output every run)
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

function tokenSecretOption(
  withSecret: boolean,
  tokenFile: string | undefined,
): { token: () => string } | undefined {
  if (withSecret && tokenFile !== undefined) {
    throw new GanymedeError('bad_request', 'Use --with-secret or --token-file, not both.', {
      field: 'token-file',
    });
  }
  if (withSecret) return { token: newToken };
  if (tokenFile === undefined) return undefined;
  const token = readInput(tokenFile, () => '').trim();
  if (!/^[A-Za-z0-9._~-]{16,512}$/.test(token)) {
    throw new GanymedeError(
      'bad_request',
      `${tokenFile} must hold one token of 16 to 512 letters, digits, ".", "_", "~" or "-".`,
      { field: 'token-file' },
    );
  }
  return { token: () => token };
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
      'with-secret': { type: 'boolean', default: false },
      'token-file': { type: 'string' },
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
      tokenSecret: tokenSecretOption(values['with-secret'], values['token-file']),
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
