/**
 * The hub's configuration: one YAML file plus environment variables for secrets, validated
 * once at start-up by this schema. Every field has a default, so local mode needs no file.
 * Unknown keys are errors (a typo must not be silently ignored).
 */
import { z } from 'zod';
import { ingressRoutingSchema } from '../ingress/config.ts';

import { gpuResourceName, podOptionsShape } from '../notebook-spec/pod-options.ts';
import { quantity } from '../notebook-spec/quantity.ts';
import { limitIssues } from '../notebook-spec/schema.ts';

export { quantity };

export const profileSchema = z
  .strictObject({
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
    /** CPU the server may not exceed (Kubernetes); unset lets it use idle cores. */
    cpuLimit: quantity.optional(),
    memory: quantity.optional(),
    /** Memory the server may not exceed (Kubernetes); unset means the same as `memory`. */
    memoryLimit: quantity.optional(),
    gpu: z.int().min(0).max(16).default(0),
    /** Which extended resource a GPU is (Kubernetes): nvidia.com/gpu, amd.com/gpu, a MIG slice. */
    gpuResource: gpuResourceName.optional(),
    /** Minutes without activity before the culler stops the server; 0 disables. */
    idleTimeoutMinutes: z.int().min(0).default(60),
    default: z.boolean().default(false),
    // Placement, shared data, /dev/shm, extra labels, the page to open: the notebook spec's own
    // fields under the same names (Kubernetes; the local backend uses only defaultUrl).
    ...podOptionsShape,
  })
  .superRefine((p, ctx) => {
    for (const issue of limitIssues(p)) ctx.addIssue({ code: 'custom', ...issue });
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

/** `https:`, or `http:` on a loopback host (a provider on this machine, as in the tests). */
function secureOrLoopback(value: string): boolean {
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

const httpsUrl = z
  .url()
  .refine(secureOrLoopback, 'must be an https:// URL (http:// only on localhost/127.0.0.1)');

/** Sign-in with an organisation's OpenID Connect provider, next to the local accounts. */
export const oidcSchema = z
  .strictObject({
    /** The provider's Issuer Identifier; its `/.well-known/openid-configuration` is read. */
    issuer: httpsUrl,
    /** Shown on the sign-in page as "Sign in with <displayName>". */
    displayName: z.string().min(1).max(60).default('your organisation'),
    clientId: z.string().min(1),
    /** Name of the environment variable holding the client secret (never the secret itself). */
    clientSecretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .default('GANYMEDE_OIDC_CLIENT_SECRET'),
    /** `<public URL>/hub/oauth/callback`, exactly as registered at the provider. */
    redirectUrl: httpsUrl.refine(
      (u) => new URL(u).pathname.endsWith('/hub/oauth/callback'),
      'must end with /hub/oauth/callback',
    ),
    /** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be one scope token'))
      .refine((s) => s.includes('openid'), 'must include openid')
      .default(['openid', 'profile', 'email']),
    /** The ID token (or UserInfo) claim holding the user name, normalised like local names. */
    usernameClaim: z.string().min(1).default('preferred_username'),
    /** The claim holding the user's groups (a list of strings); unset: groups are not read. */
    groupsClaim: z.string().min(1).optional(),
    /** Only members of one of these groups may sign in; empty: everyone the provider admits. */
    allowedGroups: z.array(z.string().min(1)).default([]),
    /** Members of one of these groups are administrators (checked at every sign-in). */
    adminGroups: z.array(z.string().min(1)).default([]),
  })
  .superRefine((oidc, ctx) => {
    for (const key of ['allowedGroups', 'adminGroups'] as const) {
      if (oidc[key].length > 0 && oidc.groupsClaim === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'needs groupsClaim to be set' });
      }
    }
  });
export type OidcConfig = z.infer<typeof oidcSchema>;

/**
 * The Kubernetes backend: the hub keeps one `JupyterNotebook` per server in `namespace`, and
 * may run the operator and the culler itself, in whichever replica holds the Lease.
 */
const kubernetesBackendDefaults = {
  namespace: 'default',
  startTimeoutSeconds: 300,
  nodeLostSeconds: 60,
  runOperator: false,
  maxStartingServers: 'auto' as const,
  leaderElection: {
    leaseName: 'ganymede-hub',
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
  },
};
/** Servers starting at once: `auto` or a count (0: no limit). The config's
 * `backend.kubernetes.maxStartingServers`, and `ganymede operator --max-starting`. */
export const maxStartingSchema = z.union([z.literal('auto'), z.int().min(0).max(100_000)]);

export const kubernetesBackendSchema = z.strictObject({
  /** Namespace of the users' notebooks (and, by default, of the Lease). */
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name')
    .default('default'),
  /** A kubeconfig file; unset: in-cluster credentials, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig: z.string().min(1).optional(),
  /** How long a server may take to become ready before its start fails. */
  startTimeoutSeconds: z.int().min(1).default(300),
  /** A server whose node has not reported for this long is reported stopped ("the machine
   * running your notebook went away"); needs list on nodes (src/kubernetes/operator/node-health.ts). */
  nodeLostSeconds: z.int().min(5).max(86_400).default(60),
  /** Run the JupyterNotebook operator inside the hub (in the Lease holder only). */
  runOperator: z.boolean().default(false),
  /** Servers that may be starting at once; the rest wait their turn, first come first served,
   * and are told so. `auto`: two per CPU of the cluster's nodes (needs list on nodes, else
   * 16). 0: no limit. Read by the operator (src/kubernetes/operator/admission.ts). */
  maxStartingServers: maxStartingSchema.default('auto'),
  /** One Lease elects the replica that runs the operator and the culler. */
  leaderElection: z
    .strictObject({
      leaseName: z
        .string()
        .regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes name')
        .default('ganymede-hub'),
      /** Default: backend.kubernetes.namespace. */
      leaseNamespace: z.string().min(1).optional(),
      /** This replica's name in the Lease; default $POD_NAME, else <hostname>_<pid>. */
      identity: z.string().min(1).optional(),
      leaseDurationSeconds: z.int().min(1).default(15),
      renewDeadlineSeconds: z.int().min(1).default(10),
      retryPeriodSeconds: z.number().positive().default(2),
    })
    .refine((le) => le.renewDeadlineSeconds < le.leaseDurationSeconds, {
      message: 'renewDeadlineSeconds must be shorter than leaseDurationSeconds',
      path: ['renewDeadlineSeconds'],
    })
    .default(kubernetesBackendDefaults.leaderElection),
});
export type KubernetesBackendConfig = z.infer<typeof kubernetesBackendSchema>;

/** One set of limits (src/servers/quotas.ts applies them); every field unset means no limit. */
export const quotaSchema = z.strictObject({
  /** Servers starting or running at once. */
  maxServers: z.int().min(0).max(1000).optional(),
  /** CPU the person's starting and running servers may reserve together (profiles' `cpu`). */
  cpu: quantity.optional(),
  /** Memory they may reserve together (profiles' `memory`). */
  memory: quantity.optional(),
  /** GPUs they may hold together (profiles' `gpu`). */
  gpu: z.int().min(0).max(1000).optional(),
  /** Hours per calendar month (UTC) per profile name. */
  hoursPerMonth: z.record(z.string().min(1), z.number().min(0).max(744)).optional(),
});
export type Quota = z.infer<typeof quotaSchema>;

export const quotasSchema = z.strictObject({
  /** Everyone's limits, unless a group or the person sets the field. */
  default: quotaSchema.default({}),
  /** Per group: a member gets the most generous value among their groups that set a field. */
  groups: z.record(z.string().min(1), quotaSchema).default({}),
  /** Per user name: overrides groups and the default, field by field. */
  users: z.record(z.string().min(1), quotaSchema).default({}),
});
export type QuotasConfig = z.infer<typeof quotasSchema>;

export const configSchema = z
  .strictObject({
    hub: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.int().min(0).max(65535).default(8000),
        /** Public URL people reach the hub at; decides the cookie's `Secure` flag and Origin checks. */
        publicUrl: z.url().optional(),
        /**
         * Where notebook servers reach the hub (JupyterHub's `hub_connect_url`); their
         * `JUPYTERHUB_API_URL` is this plus `/hub/api`. Default: the listening address in local
         * mode, `publicUrl` on Kubernetes (the Helm chart sets the hub Service's URL).
         */
        connectUrl: z.url({ protocol: /^https?$/ }).optional(),
        dataDir: z.string().min(1).default('.data'),
        /** Largest request body the proxy forwards, in bytes. */
        maxBodyBytes: z
          .int()
          .min(1)
          .default(1024 * 1024 * 1024),
      })
      .default({
        host: '127.0.0.1',
        port: 8000,
        dataDir: '.data',
        maxBodyBytes: 1024 * 1024 * 1024,
      }),
    auth: z
      .strictObject({
        /**
         * `local` (default): accounts with passwords, and OpenID Connect when `oidc` is set.
         * `dummy`: anyone signs in with any valid user name and any password (or `dummy.password`),
         * the account made on first sign-in, as JupyterHub's DummyAuthenticator: for load tests
         * and demos only. The hub refuses it unless it listens on loopback or `allowInsecure`.
         */
        type: z.enum(['local', 'dummy']).default('local'),
        /** With `type: dummy`: one shared password everyone must type (JupyterHub's `password`). */
        dummy: z.strictObject({ password: z.string().min(1).max(1024).optional() }).optional(),
        /** With `type: dummy`: accept listening on a non-loopback address anyway. */
        allowInsecure: z.boolean().default(false),
        adminUser: z.string().min(1).default('admin'),
        sessionHours: z
          .int()
          .min(1)
          .default(24 * 14),
        /** Failed sign-ins allowed per user name and per client address in `windowMinutes`. */
        maxFailuresPerUser: z.int().min(1).default(5),
        maxFailuresPerAddress: z.int().min(1).default(20),
        windowMinutes: z.int().min(1).default(15),
        oidc: oidcSchema.optional(),
      })
      .default({
        type: 'local',
        allowInsecure: false,
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
        kubernetes: kubernetesBackendSchema.default(kubernetesBackendDefaults),
      })
      .default({
        type: 'local',
        local: { startTimeoutSeconds: 120, stopGraceSeconds: 10 },
        kubernetes: kubernetesBackendDefaults,
      }),
    culler: z
      .strictObject({
        /**
         * Seconds between two culling rounds. Fractions are allowed for tests; a round asks each
         * running server for its status, so very short intervals cost requests.
         */
        intervalSeconds: z.number().positive().max(86400).default(60),
        /**
         * Hours after its start at which a server is stopped even if it is busy (a hard cap, as
         * JupyterHub's idle culler `--max-age`); 0 disables.
         */
        maxAgeHours: z.number().min(0).default(0),
        /**
         * Whether an open connection to a kernel (a browser tab left open) alone keeps a server.
         * false (default): only use counts, so a forgotten tab does not keep a server forever.
         */
        countOpenConnections: z.boolean().default(false),
        /**
         * For tests and demonstrations only: replaces every profile's non-zero
         * `idleTimeoutMinutes` with this many seconds.
         */
        idleTimeoutSecondsOverride: z.number().positive().optional(),
      })
      .default({ intervalSeconds: 60, maxAgeHours: 0, countOpenConnections: false }),
    servers: z
      .strictObject({
        /**
         * How many servers one user may have, the default server included: 1 turns named
         * servers off; 3 (default) is the default server and two named ones.
         */
        maxPerUser: z.int().min(1).max(100).default(3),
      })
      .default({ maxPerUser: 3 }),
    metrics: z
      .strictObject({
        /**
         * false (default): `/metrics` answers only admins (session or API token), as JupyterHub's
         * `authenticate_prometheus`; true: anyone who reaches the hub may scrape it.
         */
        public: z.boolean().default(false),
      })
      .default({ public: false }),
    /** Each notebook on its own host behind the cluster's ingress controller (src/ingress). */
    ingressRouting: ingressRoutingSchema.optional(),
    profiles: z
      .array(profileSchema)
      .min(1)
      .refine(
        (ps) => new Set(ps.map((p) => p.name)).size === ps.length,
        'profile names must be unique',
      )
      .default(defaultProfiles),
    /** Per-person limits on servers, CPU, memory, GPUs and monthly hours (src/servers/quotas.ts). */
    quotas: quotasSchema.optional(),
  })
  .superRefine((config, ctx) => {
    quotaProfileIssues(config, ctx);
    const { auth } = config;
    if (auth.type !== 'dummy') {
      if (auth.dummy !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['auth', 'dummy'],
          message: 'needs auth.type: dummy',
        });
      }
      return;
    }
    if (auth.oidc !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'oidc'],
        message: 'cannot be combined with auth.type: dummy',
      });
    }
    if (!auth.allowInsecure && !isLoopbackHost(config.hub.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'allowInsecure'],
        message: `auth.type: dummy lets anyone sign in with any name, and hub.host ${config.hub.host} is not a loopback address: listen on 127.0.0.1, or set auth.allowInsecure: true to accept that`,
      });
    }
  });
export type Config = z.infer<typeof configSchema>;

/** A profile named in a quota's `hoursPerMonth` must exist: a typo would silently limit nothing. */
function quotaProfileIssues(
  config: { profiles: Profile[]; quotas?: QuotasConfig | undefined },
  ctx: z.RefinementCtx,
): void {
  if (config.quotas === undefined) return;
  const names = new Set(config.profiles.map((p) => p.name));
  const { default: byDefault, groups, users } = config.quotas;
  const scopes: [(string | number)[], Quota][] = [
    [['quotas', 'default'], byDefault],
    ...Object.entries(groups).map(([g, q]): [string[], Quota] => [['quotas', 'groups', g], q]),
    ...Object.entries(users).map(([u, q]): [string[], Quota] => [['quotas', 'users', u], q]),
  ];
  for (const [path, quota] of scopes) {
    for (const key of Object.keys(quota.hoursPerMonth ?? {})) {
      if (names.has(key)) continue;
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'hoursPerMonth', key],
        message: `names no profile (profiles: ${[...names].join(', ')})`,
      });
    }
  }
}

/** Whether only this machine can reach an address the hub listens on. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** An example of a right value for each key, quoted in error messages. */
export const configExamples: Record<string, string> = {
  hub: 'hub: { port: 8000 }',
  'hub.host': '127.0.0.1',
  'hub.port': '8000',
  'hub.publicUrl': 'https://notebooks.example.org',
  'hub.connectUrl': 'http://ganymede.ganymede.svc:8000',
  'hub.dataDir': '/var/lib/ganymede',
  'hub.maxBodyBytes': '1073741824',
  'auth.type': 'dummy (load tests and demos only; default local)',
  'auth.dummy': '{ password: a-shared-demo-password }',
  'auth.dummy.password': 'a-shared-demo-password',
  'auth.allowInsecure': 'true (only with auth.type: dummy)',
  'auth.adminUser': 'admin',
  'auth.sessionHours': '336',
  'auth.maxFailuresPerUser': '5',
  'auth.maxFailuresPerAddress': '20',
  'auth.windowMinutes': '15',
  'auth.oidc':
    '{ issuer: https://login.example.org, clientId: ganymede, redirectUrl: https://notebooks.example.org/hub/oauth/callback }',
  'auth.oidc.issuer': 'https://login.example.org/realms/staff',
  'auth.oidc.displayName': 'Example University',
  'auth.oidc.clientId': 'ganymede',
  'auth.oidc.clientSecretEnv': 'GANYMEDE_OIDC_CLIENT_SECRET',
  'auth.oidc.redirectUrl': 'https://notebooks.example.org/hub/oauth/callback',
  'auth.oidc.scopes': '[openid, profile, email, groups]',
  'auth.oidc.usernameClaim': 'preferred_username',
  'auth.oidc.groupsClaim': 'groups',
  'auth.oidc.allowedGroups': '[staff, students]',
  'auth.oidc.adminGroups': '[notebook-admins]',
  'store.url': 'postgres://ganymede@db/ganymede',
  'backend.type': 'local',
  'backend.local.jupyter': '/usr/local/bin/jupyter',
  'backend.local.startTimeoutSeconds': '120',
  'backend.local.stopGraceSeconds': '10',
  'backend.kubernetes': '{ namespace: notebooks, runOperator: true }',
  'backend.kubernetes.namespace': 'notebooks',
  'backend.kubernetes.kubeconfig': '/etc/ganymede/kubeconfig (unset: in-cluster)',
  'backend.kubernetes.startTimeoutSeconds': '300',
  'backend.kubernetes.nodeLostSeconds': '60',
  'backend.kubernetes.runOperator': 'true',
  'backend.kubernetes.maxStartingServers': 'auto (or a number such as 12; 0 for no limit)',
  'backend.kubernetes.leaderElection.leaseName': 'ganymede-hub',
  'backend.kubernetes.leaderElection.leaseNamespace': 'ganymede',
  'backend.kubernetes.leaderElection.identity': 'hub-0',
  'backend.kubernetes.leaderElection.leaseDurationSeconds': '15',
  'backend.kubernetes.leaderElection.renewDeadlineSeconds': '10',
  'backend.kubernetes.leaderElection.retryPeriodSeconds': '2',
  culler: 'culler: { intervalSeconds: 60, maxAgeHours: 0, countOpenConnections: false }',
  'culler.intervalSeconds': '60',
  'culler.maxAgeHours': '24 (0 turns the maximum age off)',
  'culler.countOpenConnections': 'false',
  'culler.idleTimeoutSecondsOverride': '5 (tests only)',
  servers: 'servers: { maxPerUser: 3 }',
  'servers.maxPerUser': '3 (the default server included; 1 turns named servers off)',
  metrics: 'metrics: { public: false }',
  'metrics.public': 'false',
  ingressRouting: '{ baseDomain: nb.example.org }',
  'ingressRouting.baseDomain': 'nb.example.org',
  'ingressRouting.cookieDomain': 'example.org',
  'ingressRouting.scheme': 'https',
  'ingressRouting.className': 'nginx',
  'ingressRouting.tlsSecretName': 'notebooks-wildcard-tls',
  profiles: '[{ name: standard, displayName: Standard }]',
  'profiles[].name': 'standard',
  'profiles[].displayName': 'Standard',
  'profiles[].description': 'Python with JupyterLab',
  'profiles[].image': 'quay.io/jupyter/scipy-notebook:2025-06-02',
  'profiles[].command': '["jupyter", "lab"]',
  'profiles[].cpu': '"2" or "500m"',
  'profiles[].memory': '"4Gi"',
  'profiles[].gpu': '0',
  'profiles[].cpuLimit': '"4"',
  'profiles[].memoryLimit': '"8Gi" (not below memory)',
  'profiles[].gpuResource': 'nvidia.com/gpu, amd.com/gpu or nvidia.com/mig-1g.5gb',
  'profiles[].nodeSelector': '{ cloud.google.com/gke-nodepool: gpu }',
  'profiles[].tolerations': '[{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]',
  'profiles[].priorityClassName': 'notebooks',
  'profiles[].imagePullSecrets': '[registry-credentials]',
  'profiles[].shmSize': '1Gi',
  'profiles[].extraVolumes':
    '[{ name: datasets, mountPath: /home/jovyan/datasets, readOnly: true, persistentVolumeClaim: { claimName: datasets } }]',
  'profiles[].extraLabels': '{ example.org/cost-centre: physics }',
  'profiles[].defaultUrl': '/lab/tree/README.ipynb',
  'profiles[].idleTimeoutMinutes': '60',
  'profiles[].default': 'true',
  quotas: '{ default: { maxServers: 2, cpu: "4", memory: 16Gi, gpu: 1 } }',
  'quotas.default': '{ maxServers: 2, cpu: "4", memory: 16Gi, gpu: 1, hoursPerMonth: { gpu: 20 } }',
  'quotas.default.maxServers': '2',
  'quotas.default.cpu': '"4" or "2500m"',
  'quotas.default.memory': '16Gi',
  'quotas.default.gpu': '1',
  'quotas.default.hoursPerMonth': '{ gpu: 20 } (profile name: hours per calendar month, UTC)',
  'quotas.groups': '{ physics: { cpu: "8", hoursPerMonth: { gpu: 60 } } }',
  'quotas.users': '{ alice: { maxServers: 3 } }',
};
