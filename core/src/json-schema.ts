import { z } from 'zod';
import { ErrorCode } from './errors.js';

/**
 * A zod schema as the JSON Schema fastify validates with and OpenAPI documents, with a
 * description: the HTTP APIs accept exactly what core's schemas do.
 */
export function jsonSchemaOf(schema: z.ZodType, description: string): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return { ...json, description };
}

/** The JSON Schema of every HTTP error, `{ code, message[, details] }`, under the API's own $id. */
export function errorJsonSchema<const Id extends string>(id: Id) {
  return {
    $id: id,
    type: 'object',
    description: 'Every error: a stable code to match on and a sentence for people.',
    properties: {
      code: { type: 'string', enum: Object.values(ErrorCode) },
      message: { type: 'string' },
      details: { type: 'object', additionalProperties: true },
    },
    required: ['code', 'message'],
  } as const;
}

/**
 * The name a shared schema gets under the OpenAPI document's components: its $id without
 * the API's namespace (`rediclaim.gate.Status` → `Status`), not @fastify/swagger's
 * default `def-<n>`, so generated clients get types with real names.
 */
export function openApiComponentName(json: { $id?: unknown }, index: number): string {
  return typeof json.$id === 'string' ? json.$id.replace(/^.*\./, '') : `def-${index}`;
}
