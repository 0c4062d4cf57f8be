import { COMMAND_TYPES, type CommandType } from './commands';
import { EXAMPLE_PHYSICAL_ADDRESS, exampleCommandData } from './examples';
import { createCommand } from './factory';
import { parseCommand } from './parse';

type Data = Record<string, unknown>;

function commandWith(
  type: CommandType,
  edit: (data: Data) => void,
  envelopeEdit?: (e: Data) => void,
): Data {
  const data = exampleCommandData(type) as Data;
  const envelope = createCommand({
    type,
    source: 'urn:test',
    data: data as never,
  }) as unknown as Data;
  const copy = structuredClone(envelope);
  edit(copy.data as Data);
  envelopeEdit?.(copy);
  return copy;
}

function violationsOf(raw: Data) {
  const result = parseCommand(raw);
  if (result.ok) throw new Error('expected a rejection');
  return result.violations;
}

const address = (data: Data) => data.address_info as Data;

describe('command schemas: valid examples', () => {
  it.each(Object.values(COMMAND_TYPES))('%s example is accepted', (type) => {
    expect(parseCommand(commandWith(type, () => undefined)).ok).toBe(true);
  });

  it('accepts a KYC update (with cardholder_no) as well as a create', () => {
    expect(
      parseCommand(commandWith(COMMAND_TYPES.cardholderKycApply, (d) => (d.cardholder_no = 'U1')))
        .ok,
    ).toBe(true);
  });

  it('accepts BIN mode instead of package mode', () => {
    const raw = commandWith(COMMAND_TYPES.cardApply, (d) => {
      delete d.package_no;
      d.card_bin_no = 'BIN_01';
    });
    expect(parseCommand(raw).ok).toBe(true);
  });

  it('accepts a virtual card without address', () => {
    const raw = commandWith(COMMAND_TYPES.cardApply, (d) => {
      d.card_type = 'Virtual';
      delete d.address_info;
    });
    expect(parseCommand(raw).ok).toBe(true);
  });

  it('accepts a virtual card with only the address part (no name / phone)', () => {
    const raw = commandWith(COMMAND_TYPES.cardApply, (d) => {
      d.card_type = 'Virtual';
      for (const k of ['first_name', 'last_name', 'phone_code', 'phone']) delete address(d)[k];
    });
    expect(parseCommand(raw).ok).toBe(true);
  });

  it('accepts every status action', () => {
    for (const action of ['freeze', 'unfreeze', 'cancel']) {
      expect(
        parseCommand(commandWith(COMMAND_TYPES.cardStatusUpdate, (d) => (d.action = action))).ok,
      ).toBe(true);
    }
  });
});

// Each case breaks exactly one rule with a distinctive value and names the violation it expects.
const cases: {
  name: string;
  type: CommandType;
  edit: (d: Data) => void;
  field: string;
  rule: string;
}[] = [
  {
    name: 'KYC without cardholder_unique_no',
    type: COMMAND_TYPES.cardholderKycApply,
    edit: (d) => delete d.cardholder_unique_no,
    field: 'data.cardholder_unique_no',
    rule: 'required',
  },
  {
    name: 'KYC with empty share token',
    type: COMMAND_TYPES.cardholderKycApply,
    edit: (d) => (d.sumsub_share_token = ''),
    field: 'data.sumsub_share_token',
    rule: 'non_empty',
  },
  {
    name: 'KYC with empty cardholder_no',
    type: COMMAND_TYPES.cardholderKycApply,
    edit: (d) => (d.cardholder_no = ''),
    field: 'data.cardholder_no',
    rule: 'non_empty',
  },
  {
    name: 'card_unique_no longer than 64',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (d.card_unique_no = 'X'.repeat(65)),
    field: 'data.card_unique_no',
    rule: 'max_length',
  },
  {
    name: 'card_unique_no with a space',
    type: COMMAND_TYPES.cardStatusUpdate,
    edit: (d) => (d.card_unique_no = 'SECRET VALUE'),
    field: 'data.card_unique_no',
    rule: 'printable_ascii',
  },
  {
    name: 'unknown card_type',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (d.card_type = 'Plastic'),
    field: 'data.card_type',
    rule: 'enum',
  },
  {
    name: 'neither BIN nor package',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => delete d.package_no,
    field: 'data.card_bin_no',
    rule: 'exactly_one_of',
  },
  {
    name: 'both BIN and package',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (d.card_bin_no = 'BIN_01'),
    field: 'data.card_bin_no',
    rule: 'exactly_one_of',
  },
  {
    name: 'empty package_no',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (d.package_no = ''),
    field: 'data.package_no',
    rule: 'non_empty',
  },
  {
    name: 'physical card without address',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => delete d.address_info,
    field: 'data.address_info',
    rule: 'required',
  },
  ...(
    [
      'first_name',
      'last_name',
      'phone_code',
      'phone',
      'postal_code',
      'country',
      'state',
      'city',
      'address_line1',
    ] as const
  ).map((k) => ({
    name: `physical card without ${k}`,
    type: COMMAND_TYPES.cardApply,
    edit: (d: Data) => delete address(d)[k],
    field: `data.address_info.${k}`,
    rule: 'required',
  })),
  ...(['postal_code', 'country', 'state', 'city', 'address_line1'] as const).map((k) => ({
    name: `virtual card address without ${k}`,
    type: COMMAND_TYPES.cardApply,
    edit: (d: Data) => {
      d.card_type = 'Virtual';
      delete address(d)[k];
    },
    field: `data.address_info.${k}`,
    rule: 'required',
  })),
  {
    name: 'phone_code with +',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).phone_code = '+86'),
    field: 'data.address_info.phone_code',
    rule: 'digits_only',
  },
  {
    name: 'phone_code too long',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).phone_code = '12345'),
    field: 'data.address_info.phone_code',
    rule: 'max_length',
  },
  {
    name: 'virtual phone_code with +',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => {
      d.card_type = 'Virtual';
      address(d).phone_code = '+1';
    },
    field: 'data.address_info.phone_code',
    rule: 'digits_only',
  },
  {
    name: 'phone with letters',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).phone = '555CALLME'),
    field: 'data.address_info.phone',
    rule: 'digits_only',
  },
  {
    name: 'lowercase country',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).country = 'gb'),
    field: 'data.address_info.country',
    rule: 'iso_country',
  },
  {
    name: 'three-letter country',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).country = 'GBR'),
    field: 'data.address_info.country',
    rule: 'iso_country',
  },
  {
    name: 'non-English city',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).city = '北京'),
    field: 'data.address_info.city',
    rule: 'english_text',
  },
  {
    name: 'address line too long',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).address_line1 = 'A'.repeat(129)),
    field: 'data.address_info.address_line1',
    rule: 'max_length',
  },
  {
    name: 'bad postal code',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).postal_code = '#1'),
    field: 'data.address_info.postal_code',
    rule: 'postal_code',
  },
  {
    name: 'unknown address field',
    type: COMMAND_TYPES.cardApply,
    edit: (d) => (address(d).zip = '1'),
    field: 'data.address_info.zip',
    rule: 'unknown_field',
  },
  {
    name: 'card_last_no with 3 digits',
    type: COMMAND_TYPES.cardActivate,
    edit: (d) => (d.card_last_no = '123'),
    field: 'data.card_last_no',
    rule: 'four_digits',
  },
  {
    name: 'card_last_no with a letter',
    type: COMMAND_TYPES.cardActivate,
    edit: (d) => (d.card_last_no = '12a4'),
    field: 'data.card_last_no',
    rule: 'four_digits',
  },
  {
    name: 'card_last_no as a number',
    type: COMMAND_TYPES.cardActivate,
    edit: (d) => (d.card_last_no = 1234),
    field: 'data.card_last_no',
    rule: 'type',
  },
  {
    name: 'plaintext cvv key',
    type: COMMAND_TYPES.cardActivate,
    edit: (d) => (d.cvv = '987'),
    field: 'data.cvv',
    rule: 'plaintext_not_accepted',
  },
  {
    name: 'plaintext cvv in cvv_jwe',
    type: COMMAND_TYPES.cardActivate,
    edit: (d) => (d.cvv_jwe = '987'),
    field: 'data.cvv_jwe',
    rule: 'jwe_compact',
  },
  {
    name: 'missing cvv_jwe',
    type: COMMAND_TYPES.cardActivate,
    edit: (d) => delete d.cvv_jwe,
    field: 'data.cvv_jwe',
    rule: 'required',
  },
  {
    name: 'plaintext pin key',
    type: COMMAND_TYPES.cardPinSet,
    edit: (d) => (d.pin = '975310'),
    field: 'data.pin',
    rule: 'plaintext_not_accepted',
  },
  {
    name: 'plaintext pin in pin_jwe',
    type: COMMAND_TYPES.cardPinSet,
    edit: (d) => (d.pin_jwe = '975310'),
    field: 'data.pin_jwe',
    rule: 'jwe_compact',
  },
  {
    name: 'JWE with another algorithm',
    type: COMMAND_TYPES.cardPinSet,
    edit: (d) =>
      (d.pin_jwe = `${Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A128GCM' })).toString('base64url')}.a.b.c.d`),
    field: 'data.pin_jwe',
    rule: 'jwe_algorithm',
  },
  {
    name: 'unknown status action',
    type: COMMAND_TYPES.cardStatusUpdate,
    edit: (d) => (d.action = 'Frozen'),
    field: 'data.action',
    rule: 'enum',
  },
  {
    name: 'unknown data field',
    type: COMMAND_TYPES.cardStatusUpdate,
    edit: (d) => (d.reason = 'because'),
    field: 'data.reason',
    rule: 'unknown_field',
  },
];

describe('command schemas: field rules', () => {
  it.each(cases)('$name → $field $rule', ({ type, edit, field, rule }) => {
    expect(violationsOf(commandWith(type, edit))).toContainEqual(
      expect.objectContaining({ field, rule }),
    );
  });

  it.each(cases)('$name → message names the field and never the value', ({ type, edit }) => {
    const raw = commandWith(type, edit);
    const editedValues = Object.values(raw.data as Data)
      .concat(Object.values(((raw.data as Data).address_info as Data | undefined) ?? {}))
      .filter((v): v is string => typeof v === 'string' && v.length >= 3)
      .filter((v) => !Object.values(exampleCommandData(type) as Data).includes(v))
      .filter((v) => !Object.values(EXAMPLE_PHYSICAL_ADDRESS).includes(v));
    for (const violation of violationsOf(raw)) {
      expect(violation.message).toContain(violation.field);
      for (const value of editedValues) expect(JSON.stringify(violation)).not.toContain(value);
    }
  });
});

describe('envelope rules', () => {
  const type = COMMAND_TYPES.cardStatusUpdate;
  const envelopeCases: { name: string; edit: (e: Data) => void; field: string; rule: string }[] = [
    {
      name: 'wrong specversion',
      edit: (e) => (e.specversion = '0.3'),
      field: 'specversion',
      rule: 'literal',
    },
    { name: 'id not a UUID', edit: (e) => (e.id = 'cmd-1'), field: 'id', rule: 'uuid' },
    {
      name: 'time without offset',
      edit: (e) => (e.time = '2026-01-01T00:00:00'),
      field: 'time',
      rule: 'rfc3339',
    },
    { name: 'missing source', edit: (e) => delete e.source, field: 'source', rule: 'required' },
    {
      name: 'wrong datacontenttype',
      edit: (e) => (e.datacontenttype = 'text/plain'),
      field: 'datacontenttype',
      rule: 'literal',
    },
    {
      name: 'subject is not the key',
      edit: (e) => (e.subject = 'OTHER'),
      field: 'subject',
      rule: 'subject_is_key',
    },
    {
      name: 'uppercase extension attribute',
      edit: (e) => (e.correlationId = 'c-1'),
      field: 'correlationId',
      rule: 'unknown_field',
    },
    {
      name: 'causationid not a UUID',
      edit: (e) => (e.causationid = 'x'),
      field: 'causationid',
      rule: 'uuid',
    },
  ];
  it.each(envelopeCases)('$name → $field $rule', ({ edit, field, rule }) => {
    expect(violationsOf(commandWith(type, () => undefined, edit))).toContainEqual(
      expect.objectContaining({ field, rule }),
    );
  });

  it('passes correlationid through', () => {
    const command = createCommand({
      type,
      source: 'urn:test',
      data: exampleCommandData(type),
      correlationid: 'corr-1',
    });
    const result = parseCommand(JSON.parse(JSON.stringify(command)));
    expect(result.ok && result.command.correlationid).toBe('corr-1');
  });

  it('reports unknown and missing types without a command type', () => {
    const unknown = parseCommand({
      ...commandWith(type, () => undefined),
      type: 'card.explode.v1',
    });
    expect(unknown).toMatchObject({ ok: false, violations: [{ field: 'type', rule: 'enum' }] });
    expect(unknown.ok === false && unknown.commandType).toBeUndefined();
    expect(unknown.ok === false && unknown.commandId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseCommand({})).toMatchObject({
      ok: false,
      violations: [{ field: 'type', rule: 'required' }],
    });
  });

  it('returns commandId only when it is a UUID', () => {
    const result = parseCommand(
      commandWith(
        type,
        (d) => (d.action = 'x'),
        (e) => (e.id = 'SECRET-ID'),
      ),
    );
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.commandId).toBeUndefined();
    expect(result.ok === false && result.commandType).toBe(type);
  });
});

describe('unknown keys', () => {
  it('names identifier-like unknown keys but not free text used as a key', () => {
    const raw = commandWith(COMMAND_TYPES.cardStatusUpdate, (d) => {
      d.extra_field = 1;
      d['my pin is 975310'] = 1;
    });
    const violations = violationsOf(raw);
    expect(violations).toContainEqual(
      expect.objectContaining({ field: 'data.extra_field', rule: 'unknown_field' }),
    );
    expect(violations).toContainEqual(
      expect.objectContaining({ field: 'data.(unnamed)', rule: 'unknown_field' }),
    );
    expect(JSON.stringify(violations)).not.toContain('975310');
  });
});
