import { COMMAND_TYPES, type CommandData, type CommandType } from './commands';

// Valid example payloads for tests (here and in other packages). The sealed values were sealed with
// the DEVELOPMENT ONLY public key in config/dev-keys: CVV "123" and PIN "135790".
export const EXAMPLE_SEALED_CVV =
  'eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.SDyN3HcsNB9_WG8uUpTPvAzVVPNv3z5ZemFUbiGfBLZqbm5xndrhCRS8B8RCf3kvpf6U-Vl0ilkdnmb61MoHscofPY2rLps5nzkbWzjJYK5BN0iORO39m72BlA5KAAuHIw9F1zcImFNHO6MW1HaquvOAuhAPfjfgRVrR3q-5devuxaryK4qrds_hnyR8vWupfqY4WswPpXzDa8c8gCGcz98UrweYQvtGB9-Lm0BZr_D7BmyJf2CrSB8xmqARkFy4W56_utXyI-hBLednEKFNyaTbSglpTmQmqNPeLsp8B8j-e5y7fQynIHkBN81fOiFDITkmJAuLgTP1_fGfoKCrmw.YJ76hDkHOrZ8SNHz.dsPG.KaQvrJrv4IAbPRShlqpv1g';
export const EXAMPLE_SEALED_PIN =
  'eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.mIfUskj6GXnTRIQIErNldkIKar2Kb4TItBQy_7jYIEd3k6aGeIpldXnsAyUZw6YsCMZ7EyzBS5R8fifVwOoTExHKZMGlpA-d2r99xVjl9x7l0oy3v_lA3EE3sD9_uXbC6HYJU3ryU4fYiKZhdpwY5wrLM4x1viPaRAqWFflNCHKjT65gjG88bMsU4GeiVF-935q_2NQ1-fBqoV_tmV8xy1k1BeeRepgv2DJ6Dl9W0ke09RBleVxF8g6PlwsS8zjV_Y1Yi6wJqPPuaKf5lh2vSCpFKingmtyZfOwil1pKiBKXtIalFjos6qVUEM3ubivSuf7jMPnrUPtOF7qdJl7zZw.gfDhjl0Pfv33Gq1p.AzI0OlU0.e-a_QvMVQMNppm-Gmlms2Q';

export const EXAMPLE_PHYSICAL_ADDRESS = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  phone_code: '44',
  phone: '2079460000',
  postal_code: 'SW1A 1AA',
  country: 'GB',
  state: 'London',
  city: 'London',
  address_line1: '10 Downing Street',
};

/** A valid `data` for each command type. Copy it and change one field to test one rule. */
export function exampleCommandData<T extends CommandType>(type: T): CommandData<T> {
  const examples: { [K in CommandType]: CommandData<K> } = {
    [COMMAND_TYPES.cardholderKycApply]: {
      cardholder_unique_no: 'MERCHANT_USER_001',
      sumsub_share_token: 'example-share-token',
    },
    [COMMAND_TYPES.cardApply]: {
      card_unique_no: 'CARD_0001',
      cardholder_no: 'U202605220001',
      card_type: 'Physical',
      package_no: 'PKG_01',
      address_info: { ...EXAMPLE_PHYSICAL_ADDRESS },
    },
    [COMMAND_TYPES.cardActivate]: {
      card_unique_no: 'CARD_0001',
      card_last_no: '1234',
      cvv_jwe: EXAMPLE_SEALED_CVV,
    },
    [COMMAND_TYPES.cardStatusUpdate]: { card_unique_no: 'CARD_0001', action: 'freeze' },
    [COMMAND_TYPES.cardPinSet]: { card_unique_no: 'CARD_0001', pin_jwe: EXAMPLE_SEALED_PIN },
  };
  return structuredClone(examples[type]) as CommandData<T>;
}
