/**
 * THE notebook spec: what one notebook server is. The same schema validates the
 * `JupyterNotebook` custom resource (its CRD's OpenAPI schema is generated from this file, see
 * src/kubernetes/crd/), the hub's REST API, the CLI and the configuration, so a field means the
 * same thing everywhere and a mistake is reported with the same field path everywhere.
 *
 * Rules that JSON Schema cannot say (one field excludes another) are written twice, next to
 * each other: once as a zod refinement (hub, CLI) and once as a CEL rule in
 * `x-kubernetes-validations` (the API server), and tests check that both refuse the same input
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation-rules).
 *
 * Field names follow the hub's profiles (src/config/schema.ts: image, cpu, memory, gpu,
 * idleTimeoutMinutes) so a profile maps onto a spec without renaming; see `specFromProfile`.
 */
import { z } from 'zod';
import { gpuResourceName, podOptionsShape } from './pod-options.ts';
import { quantity, quantityValue } from './quantity.ts';
import { JUPYTERHUB_ENV_NAMES } from './jupyterhub-env.ts';

/** DNS-1123 subdomain: names of claims, classes, secrets, service accounts, ingress classes
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names). */
export const dnsSubdomain = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be lower-case letters, digits, "-" and "." (a Kubernetes name)',
  );

/** Environment variable names the kubelet has always accepted (C identifiers plus `-` and `.`). */
const envNamePattern = '^[-._a-zA-Z][-._a-zA-Z0-9]*$';
/**
 * Set by Ganymede: the server's token from the notebook's Secret, and JupyterHub's single-user
 * variables from `hub` (the API token from its own Secret). A user value would silently
 * replace them, or put a token in the resource in clear text.
 */
export const reservedEnvNames = ['JUPYTER_TOKEN', ...JUPYTERHUB_ENV_NAMES] as const;

/** One URL path segment (RFC 3986 `pchar`), not starting with `.` so `.`/`..` can never appear. */
const baseUrlPattern = /^\/([A-Za-z0-9_~%!$&'()*+,;=:@-][A-Za-z0-9._~%!$&'()*+,;=:@-]*\/)*$/;

export const notebookInterfaces = ['lab', 'notebook', 'server'] as const;
export type NotebookInterface = (typeof notebookInterfaces)[number];

const memoryNeeded = 'is required with memoryLimit (the scheduler places the pod by its request)';
const limitBelow = (request: string): string =>
  `must not be below ${request} (a limit under the request is refused by Kubernetes)`;

/** Requests and limits that Kubernetes would refuse together; the profile schema
 * (src/config/schema.ts) runs the same check on its fields of the same names. */
export function limitIssues(r: {
  readonly cpu?: string | undefined;
  readonly cpuLimit?: string | undefined;
  readonly memory?: string | undefined;
  readonly memoryLimit?: string | undefined;
}): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (r.memoryLimit !== undefined && r.memory === undefined) {
    issues.push({ path: ['memory'], message: memoryNeeded });
  }
  for (const [request, limit] of [
    ['cpu', 'cpuLimit'],
    ['memory', 'memoryLimit'],
  ] as const) {
    const [req, lim] = [r[request], r[limit]];
    if (req !== undefined && lim !== undefined && quantityValue(lim) < quantityValue(req)) {
      issues.push({ path: [limit], message: limitBelow(request) });
    }
  }
  return issues;
}

const resourcesSchema = z
  .strictObject({
    cpu: quantity
      .optional()
      .describe('CPU cores reserved for the notebook, as a Kubernetes quantity ("2", "500m").'),
    cpuLimit: quantity
      .optional()
      .describe('CPU cores the notebook may not exceed; unset lets it use idle cores.'),
    memory: quantity
      .optional()
      .describe('Memory reserved for the notebook, as a Kubernetes quantity ("4Gi").'),
    memoryLimit: quantity
      .optional()
      .describe('Memory the notebook may not exceed; unset means the same as memory.'),
    gpu: z.int().min(0).max(16).default(0).describe('Number of GPUs; 0 for none.'),
    gpuResource: gpuResourceName
      .optional()
      .describe(
        "Extended resource a GPU is (nvidia.com/gpu, amd.com/gpu, nvidia.com/mig-1g.5gb); unset uses the operator's default.",
      ),
  })
  .superRefine((r, ctx) => {
    for (const issue of limitIssues(r)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .meta({
    // Kubernetes' CEL quantity library (https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-quantity-library).
    'x-kubernetes-validations': [
      {
        rule: '!has(self.memoryLimit) || has(self.memory)',
        message: `memory ${memoryNeeded}`,
        fieldPath: '.memory',
      },
      ...(['cpu', 'memory'] as const).map((request) => ({
        rule: `!has(self.${request}) || !has(self.${request}Limit) || !quantity(self.${request}Limit).isLessThan(quantity(self.${request}))`,
        message: `${request}Limit ${limitBelow(request)}`,
        fieldPath: `.${request}Limit`,
      })),
    ],
  })
  .describe('Compute for the notebook server. Unset CPU and memory mean the namespace defaults.');

const storageSchema = z
  .strictObject({
    size: quantity.default('10Gi').describe('Size of the home volume Ganymede creates.'),
    className: dnsSubdomain
      .optional()
      .describe('StorageClass of the created volume; unset uses the cluster default.'),
    existingClaim: dnsSubdomain
      .optional()
      .describe('Use this PersistentVolumeClaim instead of creating one; it is never deleted.'),
    subPath: z
      .string()
      .max(1024)
      // No look-ahead: the API server checks `pattern` with Go's RE2. Segments may not start
      // with "." so ".." can never climb out of the volume.
      .regex(
        /^[^/.][^/]*(\/[^/.][^/]*)*$/,
        'must be a relative path whose parts do not start with "."',
      )
      .optional()
      .describe('Folder inside the volume mounted as the home directory.'),
    retain: z
      .boolean()
      .default(true)
      .describe('Keep the created volume when the notebook is deleted (default true).'),
  })
  .superRefine((s, ctx) => {
    if (s.existingClaim !== undefined && s.className !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['className'],
        message: 'cannot be combined with storage.existingClaim (the claim already has a class)',
      });
    }
    if (s.existingClaim !== undefined && !s.retain) {
      ctx.addIssue({
        code: 'custom',
        path: ['retain'],
        message:
          'must stay true with storage.existingClaim (Ganymede never deletes a claim it did not create)',
      });
    }
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '!has(self.existingClaim) || !has(self.className)',
        message: 'cannot be combined with storage.existingClaim (the claim already has a class)',
        fieldPath: '.className',
      },
      {
        rule: '!has(self.existingClaim) || self.retain',
        message:
          'must stay true with storage.existingClaim (Ganymede never deletes a claim it did not create)',
        fieldPath: '.retain',
      },
    ],
  })
  .describe("The notebook's home directory (/home/jovyan), kept across stops.");

const envSchema = z
  .record(
    z
      .string()
      .regex(new RegExp(envNamePattern), 'must be a variable name (letters, digits, _, -, .)')
      .refine((k) => !(reservedEnvNames as readonly string[]).includes(k), {
        message: 'is set by Ganymede and cannot be overridden',
      }),
    z.string().max(32768),
  )
  .meta({
    // The openapi-3.0 JSON Schema has no `propertyNames`, so key rules go to CEL.
    'x-kubernetes-validations': [
      {
        rule: `self.all(k, k.matches('${envNamePattern}'))`,
        message: 'variable names are letters, digits, _, - and .',
      },
      {
        rule: reservedEnvNames.map((n) => `!('${n}' in self)`).join(' && '),
        message: `${reservedEnvNames.join(', ')} are set by Ganymede and cannot be overridden`,
      },
    ],
  })
  .describe('Environment variables for the notebook server.');

const ingressSchema = z
  .strictObject({
    host: z
      .string()
      .max(253)
      .regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
        'must be a lower-case host name such as notebooks.example.org',
      )
      .describe('Public host name the notebook is served at.'),
    className: dnsSubdomain.optional().describe('IngressClass; unset uses the cluster default.'),
    tls: z
      .strictObject({
        secretName: dnsSubdomain.describe('Secret holding the certificate for the host.'),
      })
      .optional()
      .describe('Serve over HTTPS with this certificate.'),
  })
  .describe('Expose the notebook outside the cluster through an Ingress.');

const hubSchema = z
  .strictObject({
    user: z
      .string()
      .min(1)
      .max(256)
      .describe("The person's user name on the hub (JUPYTERHUB_USER)."),
    serverName: z
      .string()
      .max(64)
      .default('')
      .describe("The server's name; empty for the default server (JUPYTERHUB_SERVER_NAME)."),
    baseUrl: z
      .string()
      .max(1024)
      .regex(baseUrlPattern, 'must be a URL path that starts and ends with "/"')
      .default('/')
      .describe("The hub's base URL (JUPYTERHUB_BASE_URL)."),
    host: z
      .string()
      .max(2048)
      .regex(
        /^(https?:\/\/[^\s/]+)?$/,
        'must be an origin such as https://hub.example.org, or empty',
      )
      .default('')
      .describe(
        "The hub's origin when the server has a host of its own, else empty (JUPYTERHUB_HOST).",
      ),
    apiUrl: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http:// or https:// URL')
      .optional()
      .describe("The hub's REST API as the pod reaches it (JUPYTERHUB_API_URL)."),
    apiTokenSecret: dnsSubdomain
      .optional()
      .describe(
        'Secret in this namespace whose key "token" the server gets as JUPYTERHUB_API_TOKEN.',
      ),
  })
  .describe(
    "Set by the hub: JupyterHub's single-user environment (JUPYTERHUB_* variables, and the page config that shows JupyterLab's hub menu).",
  );

export const notebookSpecSchema = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[^\s]+$/, 'must be an image reference without spaces')
      .describe('Container image with Jupyter, e.g. quay.io/jupyter/minimal-notebook:latest.'),
    interface: z
      .enum(notebookInterfaces)
      .default('lab')
      .describe('What the server runs: JupyterLab, Jupyter Notebook, or the bare Jupyter Server.'),
    resources: resourcesSchema.default({ gpu: 0 }),
    storage: storageSchema.default({ size: '10Gi', retain: true }),
    env: envSchema.default({}),
    idleTimeoutMinutes: z
      .int()
      .min(0)
      .max(525600)
      .default(60)
      .describe('Minutes without activity before the hub stops the server; 0 never.'),
    stopped: z
      .boolean()
      .default(false)
      .describe('true stops the server (its files are kept); false starts it again.'),
    baseUrl: z
      .string()
      .max(1024)
      .regex(baseUrlPattern, 'must be a URL path that starts and ends with "/", e.g. /user/alice/')
      .default('/')
      .describe('URL path the server answers under (the hub sets /user/<name>/<server>/).'),
    ingress: ingressSchema.optional(),
    serviceAccountName: dnsSubdomain
      .optional()
      .describe('Run with this service account and mount its token; unset mounts no token.'),
    ...podOptionsShape,
    hub: hubSchema.optional(),
  })
  .describe('One Jupyter notebook server.');

/** The spec as written (defaults optional): what users, the REST API and YAML files supply. */
export type NotebookSpecInput = z.input<typeof notebookSpecSchema>;
/** The spec with every default applied: what builders work from. */
export type NotebookSpec = z.output<typeof notebookSpecSchema>;
