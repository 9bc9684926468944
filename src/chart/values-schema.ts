/**
 * The Helm chart's values (deploy/helm/ganymede/values.yaml) as a zod schema, with `config`
 * being the hub's own configuration schema (src/config/schema.ts). `values.schema.json` is
 * generated from it (./chart-files.ts), so `helm install`, `helm upgrade`, `helm template`
 * and `helm lint` refuse a wrong key or a wrong type with the key named, before anything
 * reaches the cluster, and a wrong hub setting is caught by the same rules the hub applies.
 *
 * Kubernetes objects the chart passes through as they are (resources, security contexts,
 * affinity, tolerations, extra env) are checked for their outer type only: the API server
 * checks the inside, and a copy of its schemas here would drift from the cluster's.
 */
import { z } from 'zod';
import { configSchema } from '../config/schema.ts';

const k8sObject = z.looseObject({}).describe('A Kubernetes object, passed through as it is.');
const k8sList = z.array(z.looseObject({}));
const stringMap = z.record(z.string(), z.string());
/** Helm's values are often empty strings for "unset". */
const optionalName = z.string().max(253);

export const chartValuesSchema = z.strictObject({
  replicas: z.int().min(1).max(100),
  image: z.strictObject({
    repository: z.string().min(1),
    tag: z.string(),
    digest: z.union([z.literal(''), z.string().regex(/^sha256:[a-f0-9]{64}$/)]),
    pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
    pullSecrets: k8sList,
  }),
  notebookNamespace: optionalName,
  publicUrl: z.union([z.literal(''), z.url()]),
  config: configSchema,
  adminPassword: z.string(),
  adminPasswordExistingSecret: optionalName,
  adminPasswordExistingSecretKey: z.string().min(1),
  database: z.strictObject({
    url: z.string(),
    existingSecret: optionalName,
    existingSecretKey: z.string().min(1),
  }),
  oidc: z.strictObject({
    clientSecret: z.string(),
    existingSecret: optionalName,
    existingSecretKey: z.string().min(1),
  }),
  persistence: z.strictObject({
    enabled: z.boolean(),
    storageClassName: optionalName,
    size: z.string().min(1),
    existingClaim: optionalName,
  }),
  operator: z.strictObject({ enabled: z.boolean() }),
  startTimeoutSeconds: z.int().min(10).max(86_400),
  notebookIngress: z.strictObject({
    enabled: z.boolean(),
    baseDomain: z.string(),
    cookieDomain: z.string(),
    className: optionalName,
    tlsSecretName: optionalName,
  }),
  service: z.strictObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
    port: z.int().min(1).max(65_535),
    annotations: stringMap,
  }),
  ingress: z.strictObject({
    enabled: z.boolean(),
    className: optionalName,
    host: z.string(),
    tlsSecretName: optionalName,
    annotations: stringMap,
  }),
  serviceMonitor: z.strictObject({
    enabled: z.boolean(),
    tokenSecret: optionalName,
    tokenSecretKey: z.string().min(1),
    interval: z.string().regex(/^[0-9]+(ms|s|m|h)$/, 'must be a duration such as 30s'),
    scrapeTimeout: z.string().regex(/^[0-9]+(ms|s|m|h)$/, 'must be a duration such as 10s'),
    labels: stringMap,
  }),
  crdUpgrade: z.strictObject({ enabled: z.boolean() }),
  notebookQuota: z.strictObject({ enabled: z.boolean(), hard: stringMap }),
  notebookLimitRange: z.strictObject({ enabled: z.boolean(), limits: k8sList }),
  prePuller: z.strictObject({
    enabled: z.boolean(),
    extraImages: z.array(z.string().min(1)),
    imagePullSecrets: z.array(z.string().min(1)),
    nodeSelector: stringMap,
    tolerations: k8sList,
    pauseImage: z.string().min(1),
  }),
  placeholders: z.strictObject({
    enabled: z.boolean(),
    replicas: z.int().min(0).max(1000),
    resources: k8sObject,
    priority: z.int().max(-1),
    nodeSelector: stringMap,
    tolerations: k8sList,
  }),
  podDisruptionBudget: z.strictObject({
    enabled: z.boolean(),
    maxUnavailable: z.union([z.int().min(0), z.string().regex(/^[0-9]+%$/)]),
  }),
  networkPolicy: z.strictObject({
    enabled: z.boolean(),
    ingressFrom: k8sList,
    restrictEgress: z.boolean(),
    apiServerCidrs: z.array(z.string()),
    apiServerPort: z.int().min(1).max(65_535),
    egressExtra: k8sList,
  }),
  serviceAccount: z.strictObject({
    create: z.boolean(),
    name: optionalName,
    annotations: stringMap,
  }),
  rbac: z.strictObject({ create: z.boolean(), listNodes: z.boolean() }),
  resources: k8sObject,
  podSecurityContext: k8sObject,
  securityContext: k8sObject,
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  extraEnv: k8sList,
  commonLabels: stringMap,
  podAnnotations: stringMap,
  nodeSelector: stringMap,
  tolerations: k8sList,
  affinity: k8sObject,
  topologySpreadConstraints: k8sList,
  priorityClassName: optionalName,
  terminationGracePeriodSeconds: z.int().min(0),
});
export type ChartValues = z.infer<typeof chartValuesSchema>;
