import { z } from 'zod';

/**
 * A zod schema as the JSON Schema fastify validates with and OpenAPI documents, with a
 * description: the HTTP APIs accept exactly what core's schemas do.
 */
export function jsonSchemaOf(schema: z.ZodType, description: string): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return { ...json, description };
}
