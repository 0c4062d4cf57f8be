import { z } from 'zod';
import { rfc3339, uuid } from './fields';
import { ruleMessage } from './violations';

/** CloudEvents 1.0, structured JSON mode: the Kafka record value is the whole envelope. */
export const CLOUDEVENTS_SPECVERSION = '1.0';
/** Content type of the Kafka record / HTTP body carrying an envelope. */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
/** `datacontenttype` of every envelope: `data` is JSON. */
export const DATA_CONTENT_TYPE = 'application/json';

/** Envelope attributes. Extension attributes (correlationid, causationid) are lowercase, as CloudEvents requires. */
export interface EnvelopeOptions<C extends boolean> {
  /** `causationid` must be present (result events: the id of the command that caused them). */
  causationRequired: C;
  /** The data field whose value must equal `subject` (and is the Kafka key); undefined: not enforced. */
  subjectField?: string;
  description: string;
  /** command.rejected.v1: the subject is whatever Kafka key the rejected record had, so no length limit. */
  unboundedSubject?: boolean;
}

export function envelopeSchema<T extends string, D extends z.ZodType, C extends boolean>(
  type: T,
  data: D,
  options: EnvelopeOptions<C>,
) {
  const causationid = (options.causationRequired ? uuid : uuid.optional()) as C extends true
    ? typeof uuid
    : z.ZodOptional<typeof uuid>;
  const schema = z
    .strictObject({
      specversion: z.literal(CLOUDEVENTS_SPECVERSION),
      id: uuid,
      source: z.string().min(1).max(256),
      type: z.literal(type),
      subject: options.unboundedSubject ? z.string().min(1) : z.string().min(1).max(256),
      time: rfc3339,
      datacontenttype: z.literal(DATA_CONTENT_TYPE),
      data,
      correlationid: z.string().min(1).max(128).optional(),
      causationid,
    })
    .meta({ title: type, description: options.description });
  const field = options.subjectField;
  return schema.refine(
    (envelope) => {
      const { data: body, subject } = envelope as unknown as {
        data: Record<string, unknown>;
        subject: string;
      };
      return field === undefined || body[field] === subject;
    },
    {
      path: ['subject'],
      error: ruleMessage('subject_is_key', `must equal data.${field} (the Kafka key)`),
    },
  );
}
