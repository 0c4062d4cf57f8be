import type { z } from 'zod';

/** One broken setting: the environment variable and the rule it breaks. */
export interface ConfigProblem {
  variable: string;
  rule: string;
}

/**
 * Thrown when the environment does not satisfy a service's config schema. The message lists every
 * broken variable with its rule and never echoes the value (it may be a secret).
 */
export class ConfigValidationError extends Error {
  override readonly name = 'ConfigValidationError';

  constructor(
    readonly problems: ConfigProblem[],
    readonly serviceName?: string,
  ) {
    super(
      `Invalid configuration${serviceName ? ` for ${serviceName}` : ''}: ` +
        problems.map((p) => `${p.variable}: ${p.rule}`).join('; '),
    );
  }

  static fromZodIssues(
    issues: readonly z.core.$ZodIssue[],
    serviceName?: string,
  ): ConfigValidationError {
    return new ConfigValidationError(
      issues.map((issue) => ({
        variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)',
        rule: issue.message,
      })),
      serviceName,
    );
  }
}
