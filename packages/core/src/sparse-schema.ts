// A wide object schema, narrowed to the keys one input sends. zod runs every key a schema declares,
// sent or not, and a generation request declares some 45 (with its params) of which a request
// sends a handful; an absent key whose schema is optional both ways contributes nothing to the
// output and no issue. Leaving those keys out gives the same output and the same issues, in the
// same order, in about half the time. Each narrowed schema is built once per set of keys sent.
import { z } from 'zod';

type Schema = z.core.$ZodType;
type ObjectSchema = z.core.$ZodObject;

/** Distinct key sets remembered per schema; past this, inputs are parsed with the whole schema. */
const maxVariants = 64;

interface Plan {
  /** Per declared key: the object schema inside it (through optional/default), to narrow in turn. */
  fields: Map<string, { inner: ObjectSchema | undefined }>;
  variants: Map<string, Schema>;
}

/** null: this schema is never narrowed. */
const plans = new WeakMap<Schema, Plan | null>();

/** The object schema itself, if `schema` is one that can be narrowed (no object-level refinements). */
function asObject(schema: Schema): ObjectSchema | undefined {
  const def = schema._zod.def;
  if (def.type !== 'object' || (def.checks?.length ?? 0) > 0) return undefined;
  return schema as ObjectSchema;
}

/** The object inside `optional`/`default` wrappers, which a narrowed object can be put back into. */
function innerObject(schema: Schema): ObjectSchema | undefined {
  const def = schema._zod.def;
  if (def.type === 'optional' || def.type === 'default') return innerObject((def as z.core.$ZodOptionalDef).innerType);
  return asObject(schema);
}

function planOf(schema: Schema): Plan | null {
  let plan = plans.get(schema);
  if (plan !== undefined) return plan;
  const object = asObject(schema);
  plan = null;
  if (object !== undefined) {
    const fields: Plan['fields'] = new Map();
    const shape = object._zod.def.shape;
    for (const key in shape) fields.set(key, { inner: innerObject(shape[key] as Schema) });
    // zod asks `key in input`; for the plain objects narrowed below that is "own key" unless a
    // declared key is also one of Object.prototype's.
    if (![...fields.keys()].some((key) => key in Object.prototype)) plan = { fields, variants: new Map() };
  }
  plans.set(schema, plan);
  return plan;
}

/** A JSON-like object: zod's `key in value` then means an own key. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The keys `value` holds, in its own order (nested objects' too), or undefined when `value` is no
 * plain object or holds a key the schema does not declare: unknown keys are the whole schema's
 * business (strict, strip or catchall).
 */
function keySet(plan: Plan, value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  let out = '';
  for (const key in value) {
    const field = plan.fields.get(key);
    if (field === undefined) return undefined;
    out += key;
    const innerPlan = field.inner === undefined ? null : planOf(field.inner);
    if (innerPlan !== null) {
      const nested = keySet(innerPlan, value[key]);
      if (nested !== undefined) out += `{${nested}}`;
    }
    out += '\u0000';
  }
  return out;
}

/** What zod skips when the key is absent: optional in and out (not defaulted). */
function skippedWhenAbsent(schema: Schema): boolean {
  return schema._zod.optin === 'optional' && schema._zod.optout === 'optional';
}

/** `schema` (an object, or one in optional/default wrappers) without what `value` leaves out. */
function narrowed(schema: Schema, value: unknown): Schema {
  const def = schema._zod.def;
  if (def.type === 'optional' || def.type === 'default') {
    const inner = (def as z.core.$ZodOptionalDef).innerType;
    const innerType = narrowed(inner, value);
    return innerType === inner ? schema : z.core.util.clone(schema, z.core.util.mergeDefs(def, { innerType }));
  }
  const object = asObject(schema);
  const plan = object === undefined ? null : planOf(object);
  if (object === undefined || plan === null || keySet(plan, value) === undefined) return schema;
  const source = object._zod.def.shape;
  const input = value as Record<string, unknown>;
  const shape: Record<string, Schema> = {};
  for (const key in source) {
    const field = source[key] as Schema;
    if (!Object.hasOwn(input, key)) {
      if (!skippedWhenAbsent(field)) shape[key] = field;
    } else {
      shape[key] = innerObject(field) === undefined ? field : narrowed(field, input[key]);
    }
  }
  return z.core.util.clone(object, z.core.util.mergeDefs(object._zod.def, { shape }));
}

/** `schema` without the keys `value` leaves out and zod would skip; `schema` itself when it cannot be narrowed. */
export function sparseSchema<S extends Schema>(schema: S, value: unknown): S {
  const plan = planOf(schema);
  if (plan === null) return schema;
  const key = keySet(plan, value);
  if (key === undefined) return schema;
  let found = plan.variants.get(key);
  if (found === undefined) {
    if (plan.variants.size >= maxVariants) return schema;
    found = narrowed(schema, value);
    plan.variants.set(key, found);
  }
  return found as S;
}
