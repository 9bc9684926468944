/**
 * The `jupyternotebooks.ganymede.dev` CustomResourceDefinition, derived from the notebook
 * spec and status schemas (src/notebook-spec/), never written by hand. `deploy/crd/` holds
 * its YAML, kept fresh by a unit test; `ganymede render --crd` prints it.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import {
  NOTEBOOK_GROUP,
  NOTEBOOK_KIND,
  NOTEBOOK_PLURAL,
  NOTEBOOK_SHORT_NAMES,
  NOTEBOOK_SINGULAR,
  NOTEBOOK_VERSION,
} from '../../notebook-spec/resource.ts';
import { notebookSpecSchema } from '../../notebook-spec/schema.ts';
import { notebookStatusSchema } from '../../notebook-spec/status.ts';
import { toStructuralSchema } from './structural-schema.ts';

export const NOTEBOOK_CRD_NAME = `${NOTEBOOK_PLURAL}.${NOTEBOOK_GROUP}`;

function openApi(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // `io: 'input'`: fields with defaults are optional to the writer, and the API server fills
  // the defaults in (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#defaulting).
  return toStructuralSchema(z.toJSONSchema(schema, { target: 'openapi-3.0', io }));
}

export function notebookCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: NOTEBOOK_CRD_NAME,
      labels: { 'app.kubernetes.io/part-of': 'ganymede' },
    },
    spec: {
      group: NOTEBOOK_GROUP,
      scope: 'Namespaced',
      names: {
        kind: NOTEBOOK_KIND,
        listKind: `${NOTEBOOK_KIND}List`,
        plural: NOTEBOOK_PLURAL,
        singular: NOTEBOOK_SINGULAR,
        shortNames: [...NOTEBOOK_SHORT_NAMES],
        categories: ['ganymede'],
      },
      versions: [
        {
          name: NOTEBOOK_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'URL', type: 'string', jsonPath: '.status.url' },
            { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'A Jupyter notebook server with its storage, run by Ganymede.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApi(notebookSpecSchema, 'input'),
                status: openApi(notebookStatusSchema, 'output'),
              },
            },
          },
        },
      ],
    },
  };
}

export function notebookCrdYaml(): string {
  return (
    '# Generated from src/notebook-spec/ by `ganymede render --crd`; do not edit by hand.\n' +
    stringify(notebookCrd(), { lineWidth: 0 })
  );
}
