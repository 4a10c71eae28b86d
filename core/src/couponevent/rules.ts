import type { z } from 'zod';

/**
 * A rule that spans several fields, written once and enforced twice: the API server
 * evaluates `cel` at `kubectl apply` (as an x-kubernetes-validations entry of the
 * generated CRD), and everyone else (operator, gate, standalone config files)
 * evaluates `holds` through zod. Tests check that both agree.
 */
export interface CrossFieldRule<T> {
  /** CEL over `self`, the object the rule is attached to. */
  cel: string;
  /** The sentence people see from kubectl and in config errors. */
  message: string;
  /** The field the message is about, relative to the object. */
  field?: readonly string[];
  /**
   * The same rule for zod. Absent for transition rules (CEL over `oldSelf`), which
   * only the API server can judge: it alone sees the stored object.
   */
  holds?: (value: T) => boolean;
}

export interface KubernetesValidation {
  rule: string;
  message: string;
  fieldPath?: string;
}

/** Attaches rules to an object schema: a zod refinement plus the CEL for the CRD. */
export function withRules<S extends z.ZodObject>(
  schema: S,
  rules: readonly CrossFieldRule<z.output<S>>[],
): S {
  const validations: KubernetesValidation[] = rules.map((r) =>
    r.field
      ? { rule: r.cel, message: r.message, fieldPath: `.${r.field.join('.')}` }
      : { rule: r.cel, message: r.message },
  );
  return schema
    .superRefine((value, ctx) => {
      for (const r of rules) {
        if (r.holds && !r.holds(value))
          ctx.addIssue({ code: 'custom', message: r.message, path: [...(r.field ?? [])] });
      }
    })
    .meta({ 'x-kubernetes-validations': validations }) as S;
}

/** Epoch milliseconds of an RFC 3339 string already validated by the schema. */
export function ms(timestamp: string): number {
  return Date.parse(timestamp);
}
