/**
 * Turns the JSON Schema zod emits (OpenAPI 3.0 flavour) into a Kubernetes *structural*
 * schema, the only kind a `apiextensions.k8s.io/v1` CRD accepts
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema).
 * Written by hand because no library does this one conversion; it only removes or renames:
 *
 * - `additionalProperties: false` next to `properties` is dropped: structural schemas forbid
 *   the pair, and the API server prunes (and, with kubectl's strict field validation, reports)
 *   unknown fields anyway.
 * - `$schema`, `id`, `$ref`, `definitions` are refused by the API server, so a schema that
 *   still has a `$ref` (a reused zod schema registered by id) is an error here, not there.
 * - Integer bounds that only restate JavaScript's safe-integer range are dropped: noise in
 *   `kubectl explain` and meaningless to Go's int64.
 */
type JsonSchema = Record<string, unknown>;

const forbiddenKeys = ['$ref', 'definitions', '$defs', 'patternProperties', 'dependencies'];

export function toStructuralSchema(schema: unknown, path = ''): JsonSchema {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new TypeError(`schema at ${path || '(root)'} is not an object`);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema as JsonSchema)) {
    if (forbiddenKeys.includes(key)) {
      throw new TypeError(`schema at ${path || '(root)'} uses "${key}", which a CRD cannot`);
    }
    if (key === '$schema' || key === 'id') continue;
    if (key === 'properties') {
      const props: JsonSchema = {};
      for (const [name, sub] of Object.entries(value as JsonSchema)) {
        props[name] = toStructuralSchema(sub, `${path}.${name}`);
      }
      out[key] = props;
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toStructuralSchema(value, `${path}[]`);
    } else if (key === 'additionalProperties' && value === false) {
      continue;
    } else if (
      (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) ||
      (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)
    ) {
      continue;
    } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
      throw new TypeError(`schema at ${path || '(root)'} uses "${key}"; keep CRD fields one type`);
    } else {
      out[key] = value;
    }
  }
  if (out['type'] === undefined) {
    throw new TypeError(`schema at ${path || '(root)'} has no type, which a CRD requires`);
  }
  return out;
}
