import { aesEncrypt } from './crypto';
import { startKeySecureSandbox, SANDBOX_DEFAULT_API_SECRET, type RunningSandbox } from './sandbox';
import { OpenApiCaller, waitFor } from './test-caller';

const SECRET = SANDBOX_DEFAULT_API_SECRET;
const address = {
  first_name: 'Lei',
  last_name: 'Wang',
  phone_code: '86',
  phone: '13800000000',
  postal_code: '200000',
  country: 'CN',
  state: 'Shanghai',
  city: 'Shanghai',
  address_line1: '1 Century Avenue',
  address_line2: '',
};
let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

describe('KeySecure sandbox: headers and authentication', () => {
  let now = Date.UTC(2026, 0, 10, 4, 0, 0);
  let sandbox: RunningSandbox;
  let api: OpenApiCaller;

  beforeAll(async () => {
    sandbox = await startKeySecureSandbox({
      clock: () => now,
      disabledApiKeys: ['ks_disabled_key'],
      tokenTtlMs: 60_000,
    });
    api = new OpenApiCaller(sandbox.url, 'ks_sandbox_api_key', () => now);
  });
  afterAll(() => sandbox.close());

  it('Get Token returns a token and an absolute expired_time (clock + tokenTtlMs)', async () => {
    const res = await api.call('GET', '/merchant/token', undefined, { 'Access-Token': undefined });
    expect(res).toEqual({
      code: 0,
      msg: 'Success',
      data: { access_token: expect.any(String), expired_time: now + 60_000 },
    });
  });

  it.each([
    ['missing', undefined, 1002],
    ['unknown', 'nobody', 1008],
    ['disabled', 'ks_disabled_key', 1010],
  ])('%s Api-Key is refused with %s', async (_label, key, code) => {
    const res = await api.call('GET', '/merchant/token', undefined, {
      'Api-Key': key as string | undefined,
    });
    expect(res.code).toBe(code);
    expect(res).not.toHaveProperty('data');
  });

  it.each([
    ['missing', undefined],
    ['not 13 digits', '1716307200'],
    ['61 s old', String(Date.UTC(2026, 0, 10, 4, 0, 0) - 61_000)],
    ['1 s in the future', String(Date.UTC(2026, 0, 10, 4, 0, 0) + 1000)],
  ])('Timestamp %s is refused with 1005', async (_label, ts) => {
    const res = await api.call('GET', '/merchant/token', undefined, { Timestamp: ts });
    expect(res.code).toBe(1005);
  });

  it('accepts a Timestamp 59 s old', async () => {
    const res = await api.call('GET', '/merchant/token', undefined, {
      Timestamp: String(now - 59_000),
    });
    expect(res.code).toBe(0);
  });

  it('Access-Token missing → 1006, unknown → 1007, expired → 1007, revoked → 1007', async () => {
    const body = { start_time: '2026-01-01', end_time: '2026-01-31' };
    expect(
      (await api.call('POST', '/cardholder/list', body, { 'Access-Token': undefined })).code,
    ).toBe(1006);
    expect(
      (await api.call('POST', '/cardholder/list', body, { 'Access-Token': 'forged' })).code,
    ).toBe(1007);
    await api.login();
    expect((await api.call('POST', '/cardholder/list', body)).code).toBe(0);
    now += 60_001;
    expect((await api.call('POST', '/cardholder/list', body)).code).toBe(1007);
    await api.login();
    expect((await api.call('POST', '/cardholder/list', body)).code).toBe(0);
    sandbox.expireTokens();
    expect((await api.call('POST', '/cardholder/list', body)).code).toBe(1007);
  });

  it('counts token calls per endpoint', () => {
    expect(sandbox.snapshot().calls.token).toBeGreaterThanOrEqual(9);
  });
});

describe('KeySecure sandbox: rate limit', () => {
  it('answers 1009 past rateLimitPerSecond calls in one second', async () => {
    const now = Date.UTC(2026, 0, 10, 4, 0, 0, 100);
    const sandbox = await startKeySecureSandbox({ clock: () => now, rateLimitPerSecond: 2 });
    try {
      const api = new OpenApiCaller(sandbox.url, undefined, () => now);
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await api.call('GET', '/merchant/token')).code);
      expect(codes).toEqual([0, 0, 1009]);
    } finally {
      await sandbox.close();
    }
  });
});

describe('KeySecure sandbox: the reference pages’ example requests', () => {
  // inside the card-list example window 2026-01-01..2026-03-31
  const now = Date.UTC(2026, 1, 14, 16, 30, 0);
  let sandbox: RunningSandbox;
  let api: OpenApiCaller;

  beforeAll(async () => {
    sandbox = await startKeySecureSandbox({
      clock: () => now,
      kycStepDelayMs: 5,
      cardIssueDelayMs: 5,
    });
    api = new OpenApiCaller(sandbox.url, undefined, () => now);
    await api.login();
  });
  afterAll(() => sandbox.close());

  it('cardholder apply example creates a cardholder (empty cardholder_no = create)', async () => {
    const res = await api.call('POST', '/cardholder/apply', {
      cardholder_no: '',
      cardholder_unique_no: 'MERCHANT_USER_001',
      sumsub_share_token: 'your_sumsub_share_token',
    });
    expect(res).toEqual({
      code: 0,
      msg: 'Success',
      data: {
        cardholder_no: expect.stringMatching(/^U\d+$/),
        cardholder_unique_no: 'MERCHANT_USER_001',
      },
    });
  });

  it('card apply example (placeholders filled) issues a virtual card; card list example finds it', async () => {
    const holder = sandbox.state.cardholderByUniqueNo('MERCHANT_USER_001')!;
    await waitFor(() => holder.status === 'Approved');
    const applied = await api.call('POST', '/card/apply', {
      card_bin_no: '',
      cardholder_no: holder.cardholder_no,
      package_no: 'PKG_VIRTUAL_001',
      card_type: 'Virtual',
      card_unique_no: 'MERCHANT_CARD_001',
      address_info: address,
    });
    expect(applied).toEqual({
      code: 0,
      msg: 'Success',
      data: { card_no: expect.stringMatching(/^C\d+$/), card_unique_no: 'MERCHANT_CARD_001' },
    });
    await waitFor(
      () => sandbox.state.cards.get(applied.data!.card_no as string)?.status === 'Activated',
    );

    const list = await api.call<{ list: Array<Record<string, unknown>> }>(
      'POST',
      '/card/list',
      {
        cardholder_no: '',
        card_unique_no: '',
        card_no: '',
        start_time: '2026-01-01',
        end_time: '2026-03-31',
        page: 0,
        size: 10,
      },
      { Timezone: 'UTC+8' },
    );
    expect(list.code).toBe(0);
    expect(list.data!.list).toEqual([
      {
        card_no: applied.data!.card_no,
        card_unique_no: 'MERCHANT_CARD_001',
        cardholder_no: holder.cardholder_no,
        card_type: 'Virtual',
        card_last_no: expect.stringMatching(/^\d{4}$/),
        organization: 'Visa',
        status: 'Activated',
        time: now,
      },
    ]);
  });

  it('card active example: the placeholder cvv is refused (4007), an encrypted CVV activates a physical card', async () => {
    const holder = sandbox.state.cardholderByUniqueNo('MERCHANT_USER_001')!;
    const applied = await api.call('POST', '/card/apply', {
      cardholder_no: holder.cardholder_no,
      package_no: 'PKG_PHYSICAL_001',
      card_type: 'Physical',
      card_unique_no: 'MERCHANT_CARD_002',
      address_info: address,
    });
    const cardNo = applied.data!.card_no as string;
    const card = await waitFor(() => {
      const c = sandbox.state.cards.get(cardNo);
      return c?.status === 'ToActivate' ? c : undefined;
    });
    const example = {
      cardholder_no: holder.cardholder_no,
      card_no: cardNo,
      card_last_no: card.card_last_no,
    };
    const placeholder = await api.call('POST', '/card/active', {
      ...example,
      cvv: 'Base64EncodedEncryptedCvv...',
    });
    expect(placeholder.code).toBe(4007);
    const res = await api.call('POST', '/card/active', {
      ...example,
      cvv: aesEncrypt('123', SECRET),
    });
    expect(res).toEqual({ code: 0, msg: 'Success', data: { result: true } });
    expect(card.status).toBe('Activated');
  });
});

describe('KeySecure sandbox: business rules', () => {
  let sandbox: RunningSandbox;
  let api: OpenApiCaller;

  beforeAll(async () => {
    sandbox = await startKeySecureSandbox({ kycStepDelayMs: 30, cardIssueDelayMs: 30 });
    api = new OpenApiCaller(sandbox.url);
    await api.login();
  });
  afterAll(() => sandbox.close());

  async function approvedCardholder(): Promise<string> {
    const res = await api.call('POST', '/cardholder/apply', {
      cardholder_unique_no: unique('holder'),
      sumsub_share_token: 'share-ok',
    });
    const no = res.data!.cardholder_no as string;
    sandbox.setKycStatus(no, 'Approved');
    return no;
  }

  async function issuedCard(
    cardholderNo: string,
    cardType: 'Virtual' | 'Physical',
    cardUniqueNo = unique('card'),
  ) {
    const res = await api.call('POST', '/card/apply', {
      cardholder_no: cardholderNo,
      package_no: cardType === 'Virtual' ? 'PKG_VIRTUAL_001' : 'PKG_PHYSICAL_001',
      card_type: cardType,
      card_unique_no: cardUniqueNo,
      address_info: address,
    });
    expect(res.code).toBe(0);
    const cardNo = res.data!.card_no as string;
    return waitFor(() => {
      const c = sandbox.state.cards.get(cardNo);
      return c && c.status !== 'Pending' ? c : undefined;
    });
  }

  const info = (no: string) => api.call('GET', `/cardholder/${no}/info`);

  describe('cardholders and KYC', () => {
    it('goes Pending → In_progress → Approved', async () => {
      // Every assignment of the record's status is recorded (polling the API could miss a short step
      // on a loaded machine); a slower sandbox leaves time to start recording while it is Pending.
      const slow = await startKeySecureSandbox({ kycStepDelayMs: 500 });
      try {
        const slowApi = new OpenApiCaller(slow.url);
        await slowApi.login();
        const res = await slowApi.call('POST', '/cardholder/apply', {
          cardholder_unique_no: unique('holder'),
          sumsub_share_token: 'share-ok',
        });
        const no = res.data!.cardholder_no as string;
        const record = slow.state.cardholders.get(no)!;
        let status = record.status;
        const seen: string[] = [status];
        Object.defineProperty(record, 'status', {
          get: () => status,
          set: (next: typeof status) => {
            status = next;
            seen.push(next);
          },
          enumerable: true,
          configurable: true,
        });
        await waitFor(() => (status === 'Approved' ? true : undefined), 10_000);
        expect(seen).toEqual(['Pending', 'In_progress', 'Approved']);
        expect((await slowApi.call('GET', `/cardholder/${no}/info`)).data!.status).toBe('Approved');
      } finally {
        await slow.close();
      }
    });

    it('ends Rejected with fail_reason when the share token contains "reject"; re-submitting restarts KYC', async () => {
      const uniqueNo = unique('holder');
      const res = await api.call('POST', '/cardholder/apply', {
        cardholder_unique_no: uniqueNo,
        sumsub_share_token: 'sbx-REJECT-me',
      });
      const no = res.data!.cardholder_no as string;
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const row = await waitFor(async () => {
        const list = await api.call<{ list: Array<Record<string, unknown>> }>(
          'POST',
          '/cardholder/list',
          {
            start_time: today,
            end_time: today,
            cardholder_no: no,
          },
        );
        return list.data!.list[0]?.status === 'Rejected' ? list.data!.list[0] : undefined;
      });
      expect(row.fail_reason).toEqual(expect.stringContaining('reject'));

      const again = await api.call('POST', '/cardholder/apply', {
        cardholder_no: no,
        cardholder_unique_no: uniqueNo,
        sumsub_share_token: 'share-ok',
      });
      expect(again.data).toEqual({ cardholder_no: no, cardholder_unique_no: uniqueNo });
      await waitFor(async () => (await info(no)).data!.status === 'Approved');
    });

    it('refuses a duplicate cardholder_unique_no (2001), unknown cardholder_no (2002), mismatching unique no (2003)', async () => {
      const uniqueNo = unique('holder');
      const first = await api.call('POST', '/cardholder/apply', {
        cardholder_unique_no: uniqueNo,
        sumsub_share_token: 't',
      });
      expect(first.code).toBe(0);
      const dup = await api.call('POST', '/cardholder/apply', {
        cardholder_unique_no: uniqueNo,
        sumsub_share_token: 't',
      });
      expect(dup.code).toBe(2001);
      const missing = await api.call('POST', '/cardholder/apply', {
        cardholder_no: 'U000',
        cardholder_unique_no: uniqueNo,
        sumsub_share_token: 't',
      });
      expect(missing.code).toBe(2002);
      const mismatch = await api.call('POST', '/cardholder/apply', {
        cardholder_no: first.data!.cardholder_no,
        cardholder_unique_no: 'someone-else',
        sumsub_share_token: 't',
      });
      expect(mismatch.code).toBe(2003);
      expect((await info('U000')).code).toBe(2002);
    });

    it('names the missing field in 1004', async () => {
      const a = await api.call('POST', '/cardholder/apply', { sumsub_share_token: 't' });
      expect(a).toEqual({ code: 1004, msg: expect.stringContaining('cardholder_unique_no') });
      const b = await api.call('POST', '/cardholder/apply', { cardholder_unique_no: unique('h') });
      expect(b.msg).toContain('sumsub_share_token');
      const c = await api.call('POST', '/cardholder/apply', '{not json');
      expect(c.code).toBe(1004);
    });

    it('info lists the cardholder’s issued cards', async () => {
      const holder = await approvedCardholder();
      const card = await issuedCard(holder, 'Virtual');
      const res = await info(holder);
      expect(res.data).toMatchObject({
        cardholder_no: holder,
        status: 'Approved',
        total_balance: '0.00',
      });
      expect(res.data!.card_list).toEqual([
        expect.objectContaining({ card_no: card.card_no, status: 'Activated' }),
      ]);
    });
  });

  describe('card issuance', () => {
    it('virtual → Activated, physical → ToActivate', async () => {
      const holder = await approvedCardholder();
      expect((await issuedCard(holder, 'Virtual')).status).toBe('Activated');
      expect((await issuedCard(holder, 'Physical')).status).toBe('ToActivate');
    });

    it('ends in Fail when card_unique_no contains "fail" or the cardholder is not Approved', async () => {
      const holder = await approvedCardholder();
      expect((await issuedCard(holder, 'Virtual', unique('please-FAIL'))).status).toBe('Fail');
      const pending = await api.call('POST', '/cardholder/apply', {
        cardholder_unique_no: unique('holder'),
        sumsub_share_token: 'share-reject',
      });
      const no = pending.data!.cardholder_no as string;
      sandbox.setKycStatus(no, 'Rejected');
      expect((await issuedCard(no, 'Virtual')).status).toBe('Fail');
    });

    it('issues through card_bin_no (authorization mode) too', async () => {
      const holder = await approvedCardholder();
      const res = await api.call('POST', '/card/apply', {
        cardholder_no: holder,
        card_bin_no: 'BIN_MC_001',
        card_type: 'Physical',
        card_unique_no: unique('card'),
        address_info: address,
      });
      expect(res.code).toBe(0);
      const visaPhysical = await api.call('POST', '/card/apply', {
        cardholder_no: holder,
        card_bin_no: 'BIN_VISA_001',
        card_type: 'Physical',
        card_unique_no: unique('card'),
        address_info: address,
      });
      expect(visaPhysical).toEqual({ code: 1004, msg: expect.stringContaining('card_type') });
    });

    it('refuses a duplicate card_unique_no with 4002 and an unknown cardholder with 2002', async () => {
      const holder = await approvedCardholder();
      const card = await issuedCard(holder, 'Virtual');
      const body = {
        cardholder_no: holder,
        package_no: 'PKG_VIRTUAL_001',
        card_type: 'Virtual',
        card_unique_no: card.card_unique_no,
      };
      expect((await api.call('POST', '/card/apply', body)).code).toBe(4002);
      expect(
        (
          await api.call('POST', '/card/apply', {
            ...body,
            cardholder_no: 'U404',
            card_unique_no: unique('c'),
          })
        ).code,
      ).toBe(2002);
    });

    it.each([
      ['neither package_no nor card_bin_no', { package_no: '', card_bin_no: '' }, 'package_no'],
      ['card_unique_no over 64 characters', { card_unique_no: 'x'.repeat(65) }, 'card_unique_no'],
      ['unknown card_type', { card_type: 'Plastic' }, 'card_type'],
      ['unknown package_no', { package_no: 'PKG_NOPE' }, 'package_no'],
      ['card_type not matching the package', { package_no: 'PKG_PHYSICAL_001' }, 'card_type'],
      [
        'virtual address without city',
        { address_info: { ...address, city: '' } },
        'address_info.city',
      ],
      [
        'phone_code with +',
        { address_info: { ...address, phone_code: '+86' } },
        'address_info.phone_code',
      ],
      [
        'non-English address',
        { address_info: { ...address, address_line1: '世纪大道1号' } },
        'address_info.address_line1',
      ],
      [
        'physical card without address_info',
        { card_type: 'Physical', package_no: 'PKG_PHYSICAL_001', address_info: undefined },
        'address_info',
      ],
      [
        'physical card without first_name',
        {
          card_type: 'Physical',
          package_no: 'PKG_PHYSICAL_001',
          address_info: { ...address, first_name: '' },
        },
        'address_info.first_name',
      ],
    ])('answers 1004 naming the field: %s', async (_label, patch, field) => {
      const holder = await approvedCardholder();
      const res = await api.call('POST', '/card/apply', {
        cardholder_no: holder,
        package_no: 'PKG_VIRTUAL_001',
        card_type: 'Virtual',
        card_unique_no: unique('card'),
        address_info: address,
        ...patch,
      });
      expect(res.code).toBe(1004);
      expect(res.msg.startsWith(`${field} `)).toBe(true);
    });

    it('virtual cards may leave address_info out', async () => {
      const holder = await approvedCardholder();
      const res = await api.call('POST', '/card/apply', {
        cardholder_no: holder,
        package_no: 'PKG_VIRTUAL_001',
        card_type: 'Virtual',
        card_unique_no: unique('card'),
      });
      expect(res.code).toBe(0);
    });

    it('card detail carries package names and fee_detail; unknown card → 4001', async () => {
      const holder = await approvedCardholder();
      const card = await issuedCard(holder, 'Physical');
      const res = await api.call('GET', `/card/${card.card_no}/detail`);
      expect(res.data).toMatchObject({
        card_no: card.card_no,
        card_type: 'Physical',
        status: 'ToActivate',
        card_name: 'Lei Wang',
        package_name_en: 'Sandbox Physical Mastercard',
        fee_detail: expect.objectContaining({
          consume_rate: expect.any(String),
          free_small_consume_count: expect.any(Number),
        }),
      });
      expect((await api.call('GET', '/card/C404/detail')).code).toBe(4001);
    });
  });

  describe('activation', () => {
    it('checks owner (4004), last four digits (4006), CVV (4007) and status (4003)', async () => {
      const holder = await approvedCardholder();
      const other = await approvedCardholder();
      const card = await issuedCard(holder, 'Physical');
      const ok = {
        cardholder_no: holder,
        card_no: card.card_no,
        card_last_no: card.card_last_no,
        cvv: aesEncrypt('042', SECRET),
      };
      const wrongLast = String((Number(card.card_last_no) + 1) % 10000).padStart(4, '0');
      expect((await api.call('POST', '/card/active', { ...ok, cardholder_no: other })).code).toBe(
        4004,
      );
      expect(
        (await api.call('POST', '/card/active', { ...ok, card_last_no: wrongLast })).code,
      ).toBe(4006);
      expect(
        (await api.call('POST', '/card/active', { ...ok, cvv: aesEncrypt('1234', SECRET) })).code,
      ).toBe(4007);
      expect(
        (
          await api.call('POST', '/card/active', {
            ...ok,
            cvv: aesEncrypt('123', 'another_secret_0123456789abcdef!'),
          })
        ).code,
      ).toBe(4007);
      expect((await api.call('POST', '/card/active', { ...ok, cvv: '123' })).code).toBe(4007);
      expect((await api.call('POST', '/card/active', { ...ok, card_last_no: '12' })).msg).toContain(
        'card_last_no',
      );
      expect(card.status).toBe('ToActivate');
      expect((await api.call('POST', '/card/active', ok)).code).toBe(0);
      expect((await api.call('POST', '/card/active', ok)).code).toBe(4003);
      const virtual = await issuedCard(holder, 'Virtual');
      const v = await api.call('POST', '/card/active', {
        ...ok,
        card_no: virtual.card_no,
        card_last_no: virtual.card_last_no,
      });
      expect(v.code).toBe(4003);
    });
  });

  describe('status update', () => {
    it('freezes, unfreezes and cancels an Activated card', async () => {
      const holder = await approvedCardholder();
      const card = await issuedCard(holder, 'Virtual');
      const set = (status: string) =>
        api.call('POST', '/card/status/update', { card_no: card.card_no, status });
      expect(await set('Frozen')).toEqual({ code: 0, msg: 'Success', data: { result: true } });
      expect(card.status).toBe('Frozen');
      expect((await set('Activated')).code).toBe(0);
      expect(card.status).toBe('Activated');
      expect((await set('Delete')).code).toBe(0);
      expect(card.status).toBe('Delete');
      expect((await set('Activated')).code).toBe(4003);
      expect((await set('Delete')).data).toEqual({ result: true });
    });

    it('refuses statuses other than Activated/Frozen/Delete (1004) and freezing a card that is not Activated (4005)', async () => {
      const holder = await approvedCardholder();
      const card = await issuedCard(holder, 'Physical');
      const pending = await api.call('POST', '/card/status/update', {
        card_no: card.card_no,
        status: 'Pending',
      });
      expect(pending).toEqual({ code: 1004, msg: expect.stringMatching(/^status /) });
      expect(
        (await api.call('POST', '/card/status/update', { card_no: card.card_no, status: 'Frozen' }))
          .code,
      ).toBe(4005);
      expect(
        (await api.call('POST', '/card/status/update', { card_no: 'C404', status: 'Frozen' })).code,
      ).toBe(4001);
    });
  });

  describe('PIN set', () => {
    it('refuses virtual cards (4017), cards not Activated (4005), weak or malformed PINs (4016)', async () => {
      const holder = await approvedCardholder();
      const virtual = await issuedCard(holder, 'Virtual');
      const physical = await issuedCard(holder, 'Physical');
      const pin = (p: string) => aesEncrypt(p, SECRET);
      const setPin = (cardNo: string, p: string) =>
        api.call('POST', '/card/pin/set', { card_no: cardNo, cardholder_no: holder, pin: p });
      expect((await setPin(virtual.card_no, pin('135790'))).code).toBe(4017);
      expect((await setPin(physical.card_no, pin('135790'))).code).toBe(4005);
      sandbox.setCardStatus(physical.card_no, 'Activated', { callback: false });
      for (const weak of ['123456', '111357', '135987', '13579', 'abcdef']) {
        expect((await setPin(physical.card_no, pin(weak))).code).toBe(4016);
      }
      expect((await setPin(physical.card_no, '135790')).code).toBe(4016);
      expect(physical.pin_set).toBe(false);
      expect(await setPin(physical.card_no, pin('135790'))).toEqual({
        code: 0,
        msg: 'Success',
        data: { result: true },
      });
      expect(physical.pin_set).toBe(true);
      expect(JSON.stringify(sandbox.snapshot())).not.toContain('135790');
    });
  });

  describe('lists', () => {
    it('filters, pages from 0 and caps size at 100', async () => {
      const holder = await approvedCardholder();
      for (let i = 0; i < 3; i++) await issuedCard(holder, 'Virtual');
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const page = (p: number, size: number) =>
        api.call<{ list: Array<{ cardholder_no: string }> }>('POST', '/card/list', {
          cardholder_no: holder,
          start_time: today,
          end_time: today,
          page: p,
          size,
        });
      const p0 = await page(0, 2);
      const p1 = await page(1, 2);
      expect(p0.data!.list).toHaveLength(2);
      expect(p1.data!.list).toHaveLength(1);
      expect([...p0.data!.list, ...p1.data!.list].every((r) => r.cardholder_no === holder)).toBe(
        true,
      );
      expect((await page(0, 101)).msg).toMatch(/^size /);
      expect((await page(-1, 10)).msg).toMatch(/^page /);
    });

    it.each([
      ['missing start_time', { end_time: '2026-01-31' }, 'start_time'],
      ['bad format', { start_time: '2026/01/01', end_time: '2026-01-31' }, 'start_time'],
      ['impossible date', { start_time: '2026-02-30', end_time: '2026-03-31' }, 'start_time'],
      ['end before start', { start_time: '2026-02-01', end_time: '2026-01-31' }, 'end_time'],
      ['more than 90 days', { start_time: '2026-01-01', end_time: '2026-04-02' }, 'end_time'],
    ])('card and cardholder lists answer 1004 for %s', async (_label, body, field) => {
      for (const path of ['/card/list', '/cardholder/list']) {
        const res = await api.call('POST', path, body);
        expect(res.code).toBe(1004);
        expect(res.msg.startsWith(`${field} `)).toBe(true);
      }
    });

    it('accepts exactly 90 days and yyyy-MM-dd HH:mm:ss', async () => {
      expect(
        (await api.call('POST', '/card/list', { start_time: '2026-01-01', end_time: '2026-04-01' }))
          .code,
      ).toBe(0);
      const withTime = { start_time: '2026-01-01 10:00:00', end_time: '2026-01-02 09:59:59' };
      expect((await api.call('POST', '/card/list', withTime)).code).toBe(0);
      expect(
        (await api.call('POST', '/card/list', withTime, { Timezone: 'Mars/Olympus' })).msg,
      ).toMatch(/^Timezone /);
    });

    it('package and BIN lists are seeded for both card types and filter by type / number', async () => {
      const all = await api.call<{ list: Array<Record<string, unknown>> }>(
        'POST',
        '/card/package/list',
        {},
      );
      expect(all.data!.list.map((p) => p.package_type).sort()).toEqual(['Physical', 'Virtual']);
      const physical = await api.call<{ list: Array<Record<string, unknown>> }>(
        'POST',
        '/card/package/list',
        {
          type: 'Physical',
          page: 0,
          size: 10,
        },
      );
      expect(physical.data!.list).toEqual([
        expect.objectContaining({
          package_no: 'PKG_PHYSICAL_001',
          consumption_limit: expect.any(Object),
          fee_detail: expect.any(Object),
        }),
      ]);
      const bins = await api.call<{ list: Array<Record<string, unknown>> }>(
        'POST',
        '/card/support/bins',
        { card_bin_no: 'BIN_MC_001' },
      );
      expect(bins.data!.list).toEqual([
        expect.objectContaining({
          card_bin_no: 'BIN_MC_001',
          support_physical: true,
          support_virtual: true,
          currencies: ['USD'],
        }),
      ]);
      expect((await api.call('POST', '/card/support/bins', { size: 0 })).msg).toMatch(/^size /);
    });
  });
});

describe('KeySecure sandbox: Timezone day boundaries', () => {
  // 2026-02-14 16:30 UTC = 2026-02-15 00:30 at UTC+8
  const now = Date.UTC(2026, 1, 14, 16, 30, 0);
  let sandbox: RunningSandbox;
  let api: OpenApiCaller;

  beforeAll(async () => {
    sandbox = await startKeySecureSandbox({ clock: () => now, kycStepDelayMs: 5 });
    api = new OpenApiCaller(sandbox.url, undefined, () => now);
    await api.login();
    await api.call('POST', '/cardholder/apply', {
      cardholder_unique_no: 'tz-holder',
      sumsub_share_token: 't',
    });
  });
  afterAll(() => sandbox.close());

  it.each([
    [undefined, '2026-02-15', 1],
    ['UTC+8', '2026-02-15', 1],
    ['UTC+8', '2026-02-14', 0],
    ['UTC+0', '2026-02-14', 1],
    ['UTC+0', '2026-02-15', 0],
    ['UTC-05:00', '2026-02-14', 1],
  ])('Timezone %s, day %s → %i rows', async (tz, day, rows) => {
    const res = await api.call<{ list: unknown[] }>(
      'POST',
      '/cardholder/list',
      { start_time: day, end_time: day },
      { Timezone: tz },
    );
    expect(res.code).toBe(0);
    expect(res.data!.list).toHaveLength(rows);
  });
});
