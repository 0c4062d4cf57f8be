import type { z } from 'zod';

/** One broken rule of a message. `message` never contains the offending value. */
export interface Violation {
  /** Dotted path from the envelope root, e.g. `data.card_last_no`; `$` is the whole message. */
  field: string;
  /** Stable machine-readable rule id, e.g. `required`, `max_length`, `digits_only`. */
  rule: string;
  message: string;
}

/** Keys that carry plaintext secrets. A schema refuses them; callers must send the sealed `*_jwe` field. */
export const PLAINTEXT_SECRET_KEYS = ['cvv', 'pin'] as const;

const RULE_SEPARATOR = ': ';

/**
 * Error text for a zod check whose rule id must survive into the violation.
 * Encoded as `rule: message` so plain zod errors stay readable too.
 */
export function ruleMessage(rule: string, message: string): string {
  return `${rule}${RULE_SEPARATOR}${message}`;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '$' : path.map(String).join('.');
}

// Messages are built here from the issue's metadata only, never from zod's text or the input,
// so a violation cannot leak a value (a mistyped PIN, a token) into events, logs or the DLQ.
export function issueToViolations(issue: z.core.$ZodIssue): Violation[] {
  const field = fieldPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((rawKey) => {
        // A junk key could itself be sensitive text: name only identifier-like keys.
        const key = /^[A-Za-z0-9_-]{1,64}$/.test(rawKey) ? rawKey : '(unnamed)';
        const keyField = field === '$' ? key : `${field}.${key}`;
        if ((PLAINTEXT_SECRET_KEYS as readonly string[]).includes(key)) {
          return {
            field: keyField,
            rule: 'plaintext_not_accepted',
            message: `${keyField} is a plaintext secret and is not accepted; send ${key}_jwe sealed with sealSecret()`,
          };
        }
        return {
          field: keyField,
          rule: 'unknown_field',
          message: `${keyField} is not a field of this message`,
        };
      });
    case 'invalid_type': {
      // With `reportInput: true` the input is known (only compared, never copied); otherwise zod's text says it.
      const missing =
        'input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message);
      if (missing) {
        return [{ field, rule: 'required', message: `${field} is required` }];
      }
      return [{ field, rule: 'type', message: `${field} must be of type ${issue.expected}` }];
    }
    case 'invalid_value':
      return [
        {
          field,
          rule: issue.values.length === 1 ? 'literal' : 'enum',
          message: `${field} must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        },
      ];
    case 'too_big':
      return [
        {
          field,
          rule: sizeRule('max', issue.origin),
          message: `${field} must have at most ${String(issue.maximum)} ${sizeUnit(issue.origin)}`,
        },
      ];
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) {
        return [{ field, rule: 'non_empty', message: `${field} must not be empty` }];
      }
      return [
        {
          field,
          rule: sizeRule('min', issue.origin),
          message: `${field} must have at least ${String(issue.minimum)} ${sizeUnit(issue.origin)}`,
        },
      ];
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return [
          {
            field,
            rule: 'enum',
            message: `${field} must be one of ${options.map((v) => JSON.stringify(v)).join(', ')}`,
          },
        ];
      }
      return [{ field, rule: 'union', message: `${field} matches none of the allowed shapes` }];
    case 'invalid_format':
    case 'custom': {
      const encoded = issue.message.indexOf(RULE_SEPARATOR);
      if (encoded > 0 && /^[a-z][a-z0-9_]*$/.test(issue.message.slice(0, encoded))) {
        return [
          {
            field,
            rule: issue.message.slice(0, encoded),
            message: `${field} ${issue.message.slice(encoded + RULE_SEPARATOR.length)}`,
          },
        ];
      }
      const format = issue.code === 'invalid_format' ? issue.format : 'custom';
      return [{ field, rule: format, message: `${field} must be a valid ${format}` }];
    }
    default:
      return [{ field, rule: issue.code, message: `${field} is invalid (${issue.code})` }];
  }
}

function sizeRule(bound: 'min' | 'max', origin: string): string {
  return origin === 'string'
    ? `${bound}_length`
    : origin === 'array'
      ? `${bound}_items`
      : `${bound}imum`;
}

function sizeUnit(origin: string): string {
  return origin === 'string' ? 'characters' : origin === 'array' ? 'items' : '';
}

export function zodErrorToViolations(error: z.ZodError): Violation[] {
  return error.issues.flatMap(issueToViolations);
}

/** Thrown by createCommand / createEvent when a producer builds a message that breaks its contract. */
export class ContractViolationError extends Error {
  constructor(
    readonly messageType: string,
    readonly violations: Violation[],
  ) {
    super(
      `${messageType} breaks its contract: ${violations.map((v) => `${v.field} (${v.rule})`).join(', ')}`,
    );
    this.name = 'ContractViolationError';
  }
}
