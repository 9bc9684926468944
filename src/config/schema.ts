/**
 * The hub's configuration: one YAML file plus environment variables for secrets, validated
 * once at start-up by this schema. Every field has a default, so local mode needs no file.
 * Unknown keys are errors (a typo must not be silently ignored).
 */
import { z } from 'zod';

/** Kubernetes quantity (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/). */
export const quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'must be a Kubernetes quantity');

export const profileSchema = z.strictObject({
  /** Stable identifier used in URLs, the store and the API. */
  name: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'must be lower-case letters, digits and -'),
  displayName: z.string().min(1).max(80),
  description: z.string().max(500).default(''),
  /** Container image (Kubernetes backend). */
  image: z.string().min(1).default('quay.io/jupyter/minimal-notebook:latest'),
  /** Command line for the local backend; default is `<jupyter> lab`. */
  command: z.array(z.string().min(1)).min(1).optional(),
  cpu: quantity.optional(),
  memory: quantity.optional(),
  gpu: z.int().min(0).max(16).default(0),
  /** Minutes without activity before the culler stops the server; 0 disables. */
  idleTimeoutMinutes: z.int().min(0).default(60),
  default: z.boolean().default(false),
});
export type Profile = z.infer<typeof profileSchema>;

const defaultProfiles: Profile[] = [
  {
    name: 'standard',
    displayName: 'Standard',
    description: 'Python with JupyterLab. Good for most work.',
    image: 'quay.io/jupyter/minimal-notebook:latest',
    cpu: '1',
    memory: '2Gi',
    gpu: 0,
    idleTimeoutMinutes: 60,
    default: true,
  },
];

export const configSchema = z.strictObject({
  hub: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.int().min(0).max(65535).default(8000),
      /** Public URL people reach the hub at; decides the cookie's `Secure` flag and Origin checks. */
      publicUrl: z.url().optional(),
      dataDir: z.string().min(1).default('.data'),
      /** Largest request body the proxy forwards, in bytes. */
      maxBodyBytes: z
        .int()
        .min(1)
        .default(1024 * 1024 * 1024),
    })
    .default({ host: '127.0.0.1', port: 8000, dataDir: '.data', maxBodyBytes: 1024 * 1024 * 1024 }),
  auth: z
    .strictObject({
      adminUser: z.string().min(1).default('admin'),
      sessionHours: z
        .int()
        .min(1)
        .default(24 * 14),
      /** Failed sign-ins allowed per user name and per client address in `windowMinutes`. */
      maxFailuresPerUser: z.int().min(1).default(5),
      maxFailuresPerAddress: z.int().min(1).default(20),
      windowMinutes: z.int().min(1).default(15),
    })
    .default({
      adminUser: 'admin',
      sessionHours: 24 * 14,
      maxFailuresPerUser: 5,
      maxFailuresPerAddress: 20,
      windowMinutes: 15,
    }),
  store: z
    .strictObject({
      /** `sqlite:<path>` (default, under dataDir) or `postgres://…` (several hub replicas). */
      url: z.string().optional(),
    })
    .default({}),
  backend: z
    .strictObject({
      type: z.enum(['local', 'kubernetes']).default('local'),
      local: z
        .strictObject({
          /** The `jupyter` command; defaults to $GANYMEDE_JUPYTER, then `jupyter` on PATH. */
          jupyter: z.string().optional(),
          startTimeoutSeconds: z.int().min(1).default(120),
          stopGraceSeconds: z.int().min(0).default(10),
        })
        .default({ startTimeoutSeconds: 120, stopGraceSeconds: 10 }),
    })
    .default({ type: 'local', local: { startTimeoutSeconds: 120, stopGraceSeconds: 10 } }),
  profiles: z
    .array(profileSchema)
    .min(1)
    .refine(
      (ps) => new Set(ps.map((p) => p.name)).size === ps.length,
      'profile names must be unique',
    )
    .default(defaultProfiles),
});
export type Config = z.infer<typeof configSchema>;

/** An example of a right value for each key, quoted in error messages. */
export const configExamples: Record<string, string> = {
  hub: 'hub: { port: 8000 }',
  'hub.host': '127.0.0.1',
  'hub.port': '8000',
  'hub.publicUrl': 'https://notebooks.example.org',
  'hub.dataDir': '/var/lib/ganymede',
  'hub.maxBodyBytes': '1073741824',
  'auth.adminUser': 'admin',
  'auth.sessionHours': '336',
  'auth.maxFailuresPerUser': '5',
  'auth.maxFailuresPerAddress': '20',
  'auth.windowMinutes': '15',
  'store.url': 'postgres://ganymede@db/ganymede',
  'backend.type': 'local',
  'backend.local.jupyter': '/usr/local/bin/jupyter',
  'backend.local.startTimeoutSeconds': '120',
  'backend.local.stopGraceSeconds': '10',
  profiles: '[{ name: standard, displayName: Standard }]',
  'profiles[].name': 'standard',
  'profiles[].displayName': 'Standard',
  'profiles[].description': 'Python with JupyterLab',
  'profiles[].image': 'quay.io/jupyter/scipy-notebook:2025-06-02',
  'profiles[].command': '["jupyter", "lab"]',
  'profiles[].cpu': '"2" or "500m"',
  'profiles[].memory': '"4Gi"',
  'profiles[].gpu': '0',
  'profiles[].idleTimeoutMinutes': '60',
  'profiles[].default': 'true',
};
