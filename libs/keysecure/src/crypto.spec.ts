import { KeySecureCipher, rawUtf8AesKey } from './crypto';
import { KeySecureConfigError } from './errors';

/*
 * Known answers produced once with OpenSSL 3 (key = hex of the raw UTF-8 apiSecret):
 *   K16=$(printf '0123456789abcdef' | xxd -p)                    # 30313233343536373839616263646566
 *   K24=$(printf 'keysecure-sandbox-secret' | xxd -p -c 64)
 *   K32=$(printf '0123456789abcdef0123456789ABCDEF' | xxd -p -c 64)
 *   printf '123'    | openssl enc -aes-128-ecb -K $K16 -base64   # zNkSeANebsT6uK05MK4mkA==
 *   printf '135790' | openssl enc -aes-128-ecb -K $K16 -base64   # Nh5LaY5FUfVVAl6erwj6bQ==
 *   printf '135790' | openssl enc -aes-192-ecb -K $K24 -base64   # P874O2/VLO+hOikrWSlt6g==
 *   printf '123'    | openssl enc -aes-256-ecb -K $K32 -base64   # eqp2HLjaUx3iMy8v/8WYag==
 *   printf '{"card_no":"C1","cvv":"123"}' | openssl enc -aes-128-ecb -K $K16 -base64 -A
 *                                        # xiCYyOzzaWv+ZPnre+aZHKpej7lT8CSJeAkfmWvCKcE=
 */
describe('KeySecureCipher (AES/ECB/PKCS5Padding + Base64)', () => {
  const aes128 = new KeySecureCipher('0123456789abcdef');

  it.each([
    ['0123456789abcdef', '123', 'zNkSeANebsT6uK05MK4mkA=='],
    ['0123456789abcdef', '135790', 'Nh5LaY5FUfVVAl6erwj6bQ=='],
    ['keysecure-sandbox-secret', '135790', 'P874O2/VLO+hOikrWSlt6g=='],
    ['0123456789abcdef0123456789ABCDEF', '123', 'eqp2HLjaUx3iMy8v/8WYag=='],
  ])('secret %s encrypts %s like openssl', (secret, plaintext, expected) => {
    const cipher = new KeySecureCipher(secret);
    expect(cipher.encrypt(plaintext)).toBe(expected);
    expect(cipher.decrypt(expected)).toBe(plaintext);
  });

  it('decrypts a multi-block private-info payload produced by openssl', () => {
    expect(JSON.parse(aes128.decrypt('xiCYyOzzaWv+ZPnre+aZHKpej7lT8CSJeAkfmWvCKcE='))).toEqual({
      card_no: 'C1',
      cvv: '123',
    });
  });

  it('fails to decrypt with another key', () => {
    const other = new KeySecureCipher('fedcba9876543210');
    expect(() => other.decrypt('zNkSeANebsT6uK05MK4mkA==')).toThrow();
  });

  it.each(['short', '0123456789abcdef0', 'x'.repeat(31), ''])(
    'rejects a secret of the wrong length at construction without echoing it (%s)',
    (secret) => {
      let error: unknown;
      try {
        new KeySecureCipher(secret);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KeySecureConfigError);
      expect((error as KeySecureConfigError).field).toBe('apiSecret');
      if (secret) expect((error as Error).message).not.toContain(secret);
    },
  );

  it('counts bytes, not characters, and accepts a custom derivation', () => {
    // 8 two-byte characters = 16 bytes.
    expect(rawUtf8AesKey('éééééééé').length).toBe(16);
    expect(() => new KeySecureCipher('éééééééé')).not.toThrow();
    const hexDerived = new KeySecureCipher('30313233343536373839616263646566', (s) =>
      Buffer.from(s, 'hex'),
    );
    expect(hexDerived.encrypt('123')).toBe('zNkSeANebsT6uK05MK4mkA==');
  });
});
