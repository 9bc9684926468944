/**
 * Where and how a notebook's pod runs, beyond image and size: node placement, pull secrets,
 * shared data, `/dev/shm`, extra labels and the page it opens on. One zod shape, spread into
 * both the notebook spec (so the CRD, `ganymede render` and the API follow) and the hub's
 * profiles (src/config/schema.ts), under the same names, so a profile maps onto a spec
 * without renaming. Field names follow the Kubernetes PodSpec where the field is the same
 * thing (nodeSelector, tolerations, affinity, priorityClassName, imagePullSecrets), so a
 * platform team can paste what it already has from Zero to JupyterHub or Kubeflow.
 *
 * Nothing here can take a pod out of the `restricted` Pod Security Standard
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted): the
 * volume sources offered are the ones it allows (persistentVolumeClaim, configMap, secret,
 * and the memory-backed emptyDir for /dev/shm), and no security setting is offered at all.
 */
import { z } from 'zod';
import { quantity } from './quantity.ts';

const shortString = z.string().max(253);

/** DNS-1123 label: volume names (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names). */
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and "-"');

const objectName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be lower-case letters, digits, "-" and "." (a Kubernetes name)',
  );

/** Label and annotation keys: an optional DNS prefix and `/`, then a name of up to 63
 * characters (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set). */
const qualifiedNamePattern =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const qualifiedName = z
  .string()
  .max(317)
  .regex(
    new RegExp(qualifiedNamePattern),
    'must be a Kubernetes label key such as example.org/team',
  );

/** Label values: up to 63 characters, alphanumeric at both ends. */
const labelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'must be a Kubernetes label value');

/** Keys Ganymede sets itself: a user value would break selectors or the operator's mapping. */
const reservedKeyPattern = '^(ganymede\\.dev/|app\\.kubernetes\\.io/)';
const notReserved = (k: string): boolean => !new RegExp(reservedKeyPattern).test(k);
const reservedMessage = 'is set by Ganymede (ganymede.dev/ and app.kubernetes.io/ keys)';

const maxKeys = 64;

function keyedRecord<V extends z.ZodType>(value: V, what: string) {
  return z
    .record(qualifiedName.refine(notReserved, { message: reservedMessage }), value)
    .refine((r) => Object.keys(r).length <= maxKeys, { message: `at most ${maxKeys} keys` })
    .meta({
      // Bounds the CEL rules' cost, which the API server estimates before taking the CRD.
      maxProperties: maxKeys,
      // openapi-3.0 JSON Schema has no `propertyNames`, so key rules go to CEL.
      'x-kubernetes-validations': [
        {
          rule: `self.all(k, k.matches(r'${qualifiedNamePattern}'))`,
          message: `${what} keys must be Kubernetes label keys such as example.org/team`,
        },
        {
          rule: `self.all(k, !k.matches(r'${reservedKeyPattern}'))`,
          message: `${what} keys ${reservedMessage}`,
        },
      ],
    });
}

const labelSelectorRequirement = z.strictObject({
  key: qualifiedName,
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(labelValue).max(64).optional(),
});

const labelSelector = z.strictObject({
  matchLabels: z.record(qualifiedName, labelValue).optional(),
  matchExpressions: z.array(labelSelectorRequirement).max(16).optional(),
});

const nodeSelectorRequirement = z.strictObject({
  key: qualifiedName,
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(shortString).max(64).optional(),
});

const nodeSelectorTerm = z.strictObject({
  matchExpressions: z.array(nodeSelectorRequirement).max(16).optional(),
  matchFields: z.array(nodeSelectorRequirement).max(16).optional(),
});

const weight = z.int().min(1).max(100);

const podAffinityTerm = z.strictObject({
  labelSelector: labelSelector.optional(),
  namespaceSelector: labelSelector.optional(),
  namespaces: z.array(objectName).max(16).optional(),
  topologyKey: qualifiedName,
});

function podAffinity(what: string) {
  return z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).max(16).optional(),
      preferredDuringSchedulingIgnoredDuringExecution: z
        .array(z.strictObject({ weight, podAffinityTerm }))
        .max(16)
        .optional(),
    })
    .describe(what);
}

const affinitySchema = z
  .strictObject({
    nodeAffinity: z
      .strictObject({
        requiredDuringSchedulingIgnoredDuringExecution: z
          .strictObject({ nodeSelectorTerms: z.array(nodeSelectorTerm).min(1).max(16) })
          .optional(),
        preferredDuringSchedulingIgnoredDuringExecution: z
          .array(z.strictObject({ weight, preference: nodeSelectorTerm }))
          .max(16)
          .optional(),
      })
      .optional()
      .describe('Which nodes the notebook may or prefers to run on.'),
    podAffinity: podAffinity('Run near pods matching these terms.').optional(),
    podAntiAffinity: podAffinity('Run away from pods matching these terms.').optional(),
  })
  .describe('Kubernetes affinity for the pod, as in a PodSpec.');

const tolerationSchema = z
  .strictObject({
    key: qualifiedName.optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: labelValue.optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.int().min(0).optional(),
  })
  .describe('A taint the pod tolerates, as in a PodSpec.');

/** Where an extra volume may be mounted: an absolute path, no `..`, not the home directory
 * itself (the home volume is there) and not /dev/shm (shmSize owns it). */
const noDots = 'must not contain "." or ".." parts';
const takenPaths = 'is taken: /home/jovyan is the home volume and /dev/shm is set by shmSize';
const mountPathPattern = /^\/[A-Za-z0-9._~@+=,:-]+(\/[A-Za-z0-9._~@+=,:-]+)*$/;
const mountPath = z
  .string()
  .max(1024)
  .regex(mountPathPattern, 'must be an absolute path such as /home/jovyan/shared')
  .refine((p) => !p.split('/').includes('..') && !p.split('/').includes('.'), {
    message: noDots,
  })
  .refine((p) => p !== '/home/jovyan' && p !== '/dev/shm', { message: takenPaths })
  .meta({
    'x-kubernetes-validations': [
      { rule: String.raw`!self.matches(r'(^|/)\.\.?(/|$)')`, message: noDots },
      { rule: "self != '/home/jovyan' && self != '/dev/shm'", message: takenPaths },
    ],
  });

const extraVolumeSchema = z
  .strictObject({
    name: dnsLabel
      .refine((n) => n !== 'home' && n !== 'dshm', { message: 'is taken (home, dshm)' })
      .meta({
        'x-kubernetes-validations': [
          { rule: "self != 'home' && self != 'dshm'", message: 'is taken (home, dshm)' },
        ],
      })
      .describe('Volume name, unique in the pod.'),
    mountPath: mountPath.describe('Where it appears in the notebook, e.g. /home/jovyan/datasets.'),
    subPath: z
      .string()
      .max(1024)
      .regex(
        /^[^/.][^/]*(\/[^/.][^/]*)*$/,
        'must be a relative path whose parts do not start with "."',
      )
      .optional()
      .describe('Mount only this folder of the volume.'),
    readOnly: z.boolean().default(false).describe('Mount read-only (shared datasets).'),
    persistentVolumeClaim: z
      .strictObject({ claimName: objectName })
      .optional()
      .describe('An existing PersistentVolumeClaim (a shared dataset, a group folder).'),
    configMap: z
      .strictObject({ name: objectName })
      .optional()
      .describe('A ConfigMap, its keys as files.'),
    secret: z
      .strictObject({ secretName: objectName })
      .optional()
      .describe('A Secret, its keys as files.'),
  })
  .superRefine((v, ctx) => {
    const sources = [v.persistentVolumeClaim, v.configMap, v.secret].filter((s) => s !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'needs exactly one of persistentVolumeClaim, configMap or secret',
      });
    }
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '(has(self.persistentVolumeClaim) ? 1 : 0) + (has(self.configMap) ? 1 : 0) + (has(self.secret) ? 1 : 0) == 1',
        message: 'needs exactly one of persistentVolumeClaim, configMap or secret',
      },
    ],
  })
  .describe('A volume mounted into the notebook besides its home.');

/** A URL path inside the server: `/lab/tree/README.ipynb`. No `..` and no `//` start, so
 * it cannot leave the server's base URL. */
const defaultUrl = z
  .string()
  .max(1024)
  .regex(/^\/[A-Za-z0-9._~%!$&'()*+,;=:@-][A-Za-z0-9._~%!$&'()*+,;=:@/-]*$|^\/$/, {
    message: 'must be a path inside the server such as /lab/tree/README.ipynb',
  })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".." parts' })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: String.raw`!self.matches(r'(^|/)\.\.(/|$)')`,
        message: 'must not contain ".." parts',
      },
    ],
  });

/** The pod options, as a zod shape to spread into an object schema. */
export const podOptionsShape = {
  nodeSelector: z
    .record(qualifiedName, labelValue)
    .optional()
    .describe('Run only on nodes with these labels (a node pool).'),
  tolerations: z
    .array(tolerationSchema)
    .max(32)
    .optional()
    .describe('Taints the notebook tolerates (GPU or dedicated node pools).'),
  affinity: affinitySchema.optional(),
  priorityClassName: objectName
    .optional()
    .describe('PriorityClass of the pod (placeholders for a cluster autoscaler rank lower).'),
  imagePullSecrets: z
    .array(objectName)
    .max(16)
    .optional()
    .describe('Secrets in the notebook namespace for pulling the image from a private registry.'),
  shmSize: quantity
    .optional()
    .describe(
      'Size of a memory-backed /dev/shm (PyTorch data loaders need more than the 64M default); it counts against the memory limit.',
    ),
  extraVolumes: z
    .array(extraVolumeSchema)
    .max(32)
    .refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, {
      message: 'volume names must be unique',
    })
    .refine((vs) => new Set(vs.map((v) => v.mountPath)).size === vs.length, {
      message: 'mount paths must be unique',
    })
    .meta({
      'x-kubernetes-validations': [
        {
          rule: 'self.all(v, self.exists_one(w, w.name == v.name))',
          message: 'volume names must be unique',
        },
        {
          rule: 'self.all(v, self.exists_one(w, w.mountPath == v.mountPath))',
          message: 'mount paths must be unique',
        },
      ],
    })
    .optional()
    .describe('Shared data: existing claims, ConfigMaps and Secrets mounted into the notebook.'),
  extraLabels: keyedRecord(labelValue, 'extraLabels')
    .optional()
    .describe('Labels added to the pod (cost centres, policies).'),
  extraAnnotations: keyedRecord(z.string().max(4096), 'extraAnnotations')
    .optional()
    .describe('Annotations added to the pod.'),
  defaultUrl: defaultUrl
    .optional()
    .describe('Page the server opens on, e.g. /lab/tree/README.ipynb (default: the interface).'),
} as const;

export const podOptionsSchema = z.strictObject(podOptionsShape);
export type PodOptions = z.output<typeof podOptionsSchema>;
export type PodOptionsInput = z.input<typeof podOptionsSchema>;

/** The names of the pod options, to copy them from a profile into a spec. */
export const podOptionKeys = Object.keys(podOptionsShape) as (keyof PodOptions)[];

/** Extended resource names of accelerators: `nvidia.com/gpu`, `amd.com/gpu`, MIG slices
 * such as `nvidia.com/mig-1g.5gb` (a domain-prefixed Kubernetes resource name). */
export const gpuResourceName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be an extended resource name such as nvidia.com/gpu or nvidia.com/mig-1g.5gb',
  );
