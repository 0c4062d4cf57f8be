// fast-check: malformed commands for the command topics. Each one is a valid command with one rule
// broken, so the expected outcome is exactly one command.rejected.v1 naming a field.
import fc from 'fast-check';
import {
  COMMAND_TYPES,
  COMMAND_TYPE_LIST,
  createCommand,
  exampleCommandData,
  topicForCommand,
  type CommandType,
} from '@issuing-bridge/contracts';

export interface MalformedRecord {
  topic: string;
  key: string;
  value: string;
  mutation: string;
}

const KEY_FIELD: Record<CommandType, string> = {
  [COMMAND_TYPES.cardholderKycApply]: 'cardholder_unique_no',
  [COMMAND_TYPES.cardApply]: 'card_unique_no',
  [COMMAND_TYPES.cardActivate]: 'card_unique_no',
  [COMMAND_TYPES.cardStatusUpdate]: 'card_unique_no',
  [COMMAND_TYPES.cardPinSet]: 'card_unique_no',
};

type Mutation = (c: any, type: CommandType, pick: number) => string;

// Each breaks a rule for certain; none puts a real-looking CVV/PIN on the topic.
const MUTATIONS: Mutation[] = [
  (c, type, pick) => {
    const fields = Object.keys(c.data).filter((f) => f !== KEY_FIELD[type]);
    const field = fields[pick % fields.length];
    delete c.data[field];
    return `data.${field} removed`;
  },
  (c, type, pick) => {
    const fields = Object.keys(c.data).filter((f) => f !== KEY_FIELD[type]);
    const field = fields[pick % fields.length];
    c.data[field] = pick;
    return `data.${field} a number`;
  },
  (c) => ((c.data.surprise_field = 'x'), 'unknown field data.surprise_field'),
  (c, _t, pick) => ((c.data[pick % 2 ? 'cvv' : 'pin'] = 'plaintext-not-accepted'), 'plaintext cvv/pin key'),
  (c) => ((c.subject = `${c.subject}-other`), 'subject differs from the key'),
  (c) => ((c.specversion = '0.3'), 'specversion 0.3'),
  (c) => ((c.time = 'yesterday'), 'time not RFC 3339'),
  (c, type) => {
    if (type === COMMAND_TYPES.cardActivate) return ((c.data.card_last_no = '12a4'), 'card_last_no not 4 digits');
    if (type === COMMAND_TYPES.cardStatusUpdate) return ((c.data.action = 'explode'), 'action not in enum');
    if (type === COMMAND_TYPES.cardPinSet) return ((c.data.pin_jwe = 'not.a.jwe'), 'pin_jwe not compact JWE');
    if (type === COMMAND_TYPES.cardApply) return ((c.data.address_info.phone_code = '+44'), 'phone_code with +');
    return ((c.data.sumsub_share_token = ''), 'empty share token');
  },
];

export function malformedCommands(seed: number, count: number, run: string): MalformedRecord[] {
  const arb = fc.record({
    type: fc.constantFrom(...COMMAND_TYPE_LIST),
    mutation: fc.integer({ min: 0, max: MUTATIONS.length - 1 }),
    pick: fc.nat({ max: 1000 }),
  });
  return fc.sample(arb, { seed, numRuns: count }).map((s, i) => {
    const key = `FZ${run}${i}`;
    const data = { ...exampleCommandData(s.type), [KEY_FIELD[s.type]]: key } as any;
    if (data.address_info) data.address_info = { ...data.address_info };
    const command: any = JSON.parse(
      JSON.stringify(createCommand({ type: s.type, source: 'urn:issuing-bridge:faults-fuzz', data })),
    );
    const mutation = MUTATIONS[s.mutation](command, s.type, s.pick);
    return { topic: topicForCommand(s.type), key, value: JSON.stringify(command), mutation };
  });
}
