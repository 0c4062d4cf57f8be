import type { z } from 'zod';
import { ConfigValidationError } from './config-validation.error';

export type Environment = Record<string, string | undefined>;

/**
 * Validates the environment against a service's zod schema and returns the typed config.
 * Empty strings count as "not set", so `FOO=` falls back to the default instead of failing oddly.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Environment = process.env,
  serviceName?: string,
): z.output<S> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    throw ConfigValidationError.fromZodIssues(result.error.issues, serviceName);
  }
  return result.data;
}
