import { aesDecrypt, aesEncrypt, signCallback } from './crypto';

const SECRET = 'ks_sandbox_secret_0123456789abcd';

// Known answers produced with openssl (see README), not with this code.
describe('AES/ECB/PKCS5Padding with the UTF-8 apiSecret as key', () => {
  it('matches openssl for a CVV and a PIN', () => {
    expect(aesEncrypt('123', SECRET)).toBe('rJl/e13Jb2SLvCrTy00/yw==');
    expect(aesDecrypt('tLBQ8LQFMlCOUU4IhWHtVg==', SECRET)).toBe('135790');
  });

  it('returns undefined for text that is not ciphertext under the key', () => {
    expect(aesDecrypt('123', SECRET)).toBeUndefined();
    expect(aesDecrypt('Base64EncodedEncryptedCvv...', SECRET)).toBeUndefined();
    expect(aesDecrypt(aesEncrypt('123', 'x'.repeat(32)), SECRET)).toBeUndefined();
  });

  it('refuses a secret that is not an AES key length', () => {
    expect(() => aesEncrypt('123', 'short')).toThrow(/16, 24 or 32 bytes/);
  });
});

describe('SignUtils V1', () => {
  it('matches openssl for a Card_update push', () => {
    const data = {
      card_no: 'C202605220001',
      before_status: 'Pending',
      after_status: 'Activated',
      reason: 'Card issued',
      time: 1716307200000,
    };
    expect(signCallback(data, 'ks_sandbox_api_key', '1716307201000', SECRET)).toBe(
      'adbfe65a78c31bed1d110b9486c9b4c6d62c289899863e9b18220c4eb94f4824',
    );
  });

  it('skips nulls, keeps empty strings, writes numbers and objects as compact JSON, sorts keys', () => {
    const data = {
      zeta: 'z',
      amount: 100.5,
      none: null,
      empty: '',
      merchant_info: { merchant_name: 'Shop', city: 'SG' },
    };
    expect(signCallback(data, 'app', '1', SECRET)).toBe(
      '7d92a9151cb04a76a17b5427cab83cfd9726d8b213e2b9a4df41bf895237f22b',
    );
  });
});
