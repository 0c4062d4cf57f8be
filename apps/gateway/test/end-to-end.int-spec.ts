import { TOPICS } from '@issuing-bridge/contracts';
import {
  SANDBOX_DEFAULT_API_KEY,
  SANDBOX_DEFAULT_API_SECRET,
  startKeySecureSandbox,
  type RunningSandbox,
} from '../../keysecure-sandbox/src/sandbox';
import { StackRig } from './stack-rig';

// End to end over HTTP: gateway + cardholder-svc + card-svc + the KeySecure sandbox, on topics of
// their own (so no other test's services take these commands). A database of this run: every fresh
// sandbox numbers its cards from 1 again, so card_no values of an earlier run left in a shared
// `card` schema would collide with this run's.
let sandbox: RunningSandbox | undefined;
const stack = new StackRig('e2e', {
  isolate: ['gateway', 'cardholder-svc', 'card-svc'],
  ownDatabase: true,
  diagnose: () =>
    `--- sandbox cards\n${[...(sandbox?.state.cards.values() ?? [])]
      .map((c) => `${c.card_unique_no} ${c.card_no} ${c.status}`)
      .join('\n')}`,
});
const { run, tap, api, get } = stack;
const keysecure = {
  KEYSECURE_API_KEY: SANDBOX_DEFAULT_API_KEY,
  KEYSECURE_API_SECRET: SANDBOX_DEFAULT_API_SECRET,
};

describe('end to end over HTTP: cardholder → Approved → physical card → activate → freeze', () => {
  async function accepted(path: string, body: unknown): Promise<string> {
    const response = await api('POST', path, body);
    expect(response.status).toBe(202);
    return response.body.command_id as string;
  }
  const succeeded = (commandId: string) => get(`/v1/commands/${commandId}`, 'status', 'succeeded');

  beforeAll(async () => {
    await stack.setUp([
      TOPICS.cardholderCommands,
      TOPICS.cardCommands,
      TOPICS.cardholderEvents,
      TOPICS.keysecureCallbacks,
      TOPICS.cardEvents,
      TOPICS.cardholderCommandsDlq,
      TOPICS.cardCommandsDlq,
    ]);
    const gateway = await stack.start('gateway', keysecure);
    sandbox = stack.own(
      await startKeySecureSandbox({
        callbackUrl: `${gateway.baseUrl}/callbacks/keysecure`,
        kycStepDelayMs: 300,
        cardIssueDelayMs: 300,
        callbackRetryBaseMs: 100,
      }),
    );
    await Promise.all([
      stack.start('cardholder-svc', {
        ...keysecure,
        KEYSECURE_BASE_URL: sandbox.url,
        KYC_POLL_INITIAL_MS: '300',
        KYC_POLL_MAX_MS: '1000',
        KYC_POLL_TICK_MS: '200',
      }),
      stack.start('card-svc', {
        ...keysecure,
        KEYSECURE_BASE_URL: sandbox.url,
        // Issuance is learnt only from the sandbox's callback (through the gateway), not by polling.
        CARD_ISSUANCE_POLL_INTERVAL_MS: '0',
        CARD_RECONCILE_INTERVAL_MS: '0',
      }),
    ]);
  }, 180000);

  afterAll(() => stack.tearDown());

  it('every GET shows the right state, and the sandbox’s callbacks reach card-svc through the gateway', async () => {
    const cardholderUniqueNo = `E2EH${run}`;
    const cardUniqueNo = `E2EC${run}`;

    // 1. KYC apply → succeeded with KeySecure's cardholder_no → Approved (cardholder-svc polls).
    const applyHolder = await accepted('/v1/cardholders', {
      cardholder_unique_no: cardholderUniqueNo,
      sumsub_share_token: 'sumsub-share-token-e2e',
    });
    const holderResult = await succeeded(applyHolder);
    const cardholderNo = (holderResult.result as { cardholder_no: string }).cardholder_no;
    expect(cardholderNo).toEqual(expect.any(String));
    const approved = await get(`/v1/cardholders/${cardholderUniqueNo}`, 'kyc_status', 'Approved');
    expect(approved).toMatchObject({ cardholder_no: cardholderNo });

    // 2. Physical card → Pending → ToActivate, learnt from the sandbox's Card_update callback.
    const applyCard = await accepted('/v1/cards', {
      card_unique_no: cardUniqueNo,
      cardholder_no: cardholderNo,
      card_type: 'Physical',
      package_no: 'PKG_PHYSICAL_001',
      address_info: {
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone_code: '44',
        phone: '2079460000',
        postal_code: 'EC1A 1BB',
        country: 'GB',
        state: 'London',
        city: 'London',
        address_line1: '1 Main Street',
      },
    });
    const cardResult = await succeeded(applyCard);
    const cardNo = (cardResult.result as { card_no: string }).card_no;
    const toActivate = await get(`/v1/cards/${cardUniqueNo}`, 'status', 'ToActivate');
    expect(toActivate).toMatchObject({
      card_no: cardNo,
      cardholder_no: cardholderNo,
      card_type: 'Physical',
    });
    const push = sandbox!.state.callbacks.find(
      (c) => c.data.card_no === cardNo && c.data.after_status === 'ToActivate',
    );
    expect(push).toMatchObject({ delivered: true });
    const relayed = await tap.waitForRecords(
      (r) =>
        r.topic === stack.topic(TOPICS.keysecureCallbacks) &&
        (r.json.data as { id?: string }).id === push!.id,
    );
    expect(relayed).toHaveLength(1);
    const statusEvents = await tap.waitForRecords(
      (r) =>
        r.topic === stack.topic(TOPICS.cardEvents) &&
        r.json.type === 'card.status_changed.v1' &&
        (r.json.data as { card_no?: string; after?: string }).card_no === cardNo &&
        (r.json.data as { after?: string }).after === 'ToActivate',
    );
    expect(statusEvents[0].json.data).toMatchObject({ source: 'callback' });

    // 3. Activate with the last four digits printed on the card and the CVV.
    const cardLastNo = sandbox!.state.cardByUniqueNo(cardUniqueNo)!.card_last_no;
    const activate = await accepted(`/v1/cards/${cardUniqueNo}/activation`, {
      cvv: '123',
      card_last_no: cardLastNo,
    });
    await succeeded(activate);
    await get(`/v1/cards/${cardUniqueNo}`, 'status', 'Activated');
    expect(sandbox!.state.cardByUniqueNo(cardUniqueNo)!.status).toBe('Activated');

    // 4. Freeze.
    const freeze = await accepted(`/v1/cards/${cardUniqueNo}/status`, { action: 'freeze' });
    const frozen = await succeeded(freeze);
    expect(frozen).toMatchObject({
      command_type: 'card.status.update.v1',
      result: { status: 'Frozen' },
    });
    await get(`/v1/cards/${cardUniqueNo}`, 'status', 'Frozen');
    expect(sandbox!.state.cardByUniqueNo(cardUniqueNo)!.status).toBe('Frozen');

    // Every command the gateway accepted shows its outcome.
    for (const id of [applyHolder, applyCard, activate, freeze]) {
      expect((await api('GET', `/v1/commands/${id}`)).body.status).toBe('succeeded');
    }
  });
});
