/**
 * Plain-object versions of client-node's models. client-node's models are classes whose
 * serializer renames fields (`_from` ↔ `from`) and turns times into `Date`s; our builders make
 * plain JSON objects that go to the API server and to `render` as they are, and the operator
 * reads raw JSON from watches. `Plain<T>` keeps the field names and types of the official
 * model (so a typo is still a compile error) but describes the JSON actually on the wire.
 */
import type * as k8s from '@kubernetes/client-node';

type WireKey<K> = K extends '_from' ? 'from' : K extends `_${infer Rest}` ? Rest : K;

export type Plain<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { [K in keyof T as K extends string ? WireKey<K> : never]: Plain<T[K]> }
      : T;

export type ObjectMeta = Plain<k8s.V1ObjectMeta>;
export type OwnerReference = Plain<k8s.V1OwnerReference>;
export type Deployment = Plain<k8s.V1Deployment>;
export type Container = Plain<k8s.V1Container>;
export type EnvVar = Plain<k8s.V1EnvVar>;
export type ResourceRequirements = Plain<k8s.V1ResourceRequirements>;
export type Service = Plain<k8s.V1Service>;
export type Secret = Plain<k8s.V1Secret>;
export type PersistentVolumeClaim = Plain<k8s.V1PersistentVolumeClaim>;
export type Ingress = Plain<k8s.V1Ingress>;
export type NetworkPolicy = Plain<k8s.V1NetworkPolicy>;
export type NetworkPolicyPeer = Plain<k8s.V1NetworkPolicyPeer>;
export type Pod = Plain<k8s.V1Pod>;
export type ContainerStatus = Plain<k8s.V1ContainerStatus>;
export type CoreEvent = Plain<k8s.CoreV1Event>;
export type Lease = Plain<k8s.V1Lease>;

/** Any object with the common header, as read from or sent to the API server. */
export interface KubeObject {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata?: ObjectMeta | undefined;
}
