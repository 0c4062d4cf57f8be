/**
 * AES/ECB/PKCS5Padding + Base64 with the merchant's apiSecret, as KeySecure documents for the CVV
 * (card/active), the PIN (pin/set) and private-info responses. ECB is the provider's choice, not ours.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KeySecureConfigError } from './errors';

/**
 * How the AES key is derived from apiSecret. UNKNOWN at the provider (MerchantEncryptUtil was not
 * readable); swap this function if the real derivation differs.
 */
export type AesKeyDerivation = (apiSecret: string) => Buffer;

/** Default assumption: Java `SecretKeySpec(apiSecret.getBytes(UTF_8), "AES")`, the raw UTF-8 bytes. */
export const rawUtf8AesKey: AesKeyDerivation = (apiSecret) => Buffer.from(apiSecret, 'utf8');

const ALGORITHM_BY_KEY_LENGTH: Record<number, string> = {
  16: 'aes-128-ecb',
  24: 'aes-192-ecb',
  32: 'aes-256-ecb',
};

export class KeySecureCipher {
  private readonly key: Buffer;
  private readonly algorithm: string;

  /** Throws KeySecureConfigError when the derived key is not 16, 24 or 32 bytes (the secret is never echoed). */
  constructor(apiSecret: string, derive: AesKeyDerivation = rawUtf8AesKey) {
    if (typeof apiSecret !== 'string' || apiSecret === '')
      throw new KeySecureConfigError('apiSecret', 'is required');
    const key = derive(apiSecret);
    const algorithm = ALGORITHM_BY_KEY_LENGTH[key.length];
    if (!algorithm) {
      throw new KeySecureConfigError(
        'apiSecret',
        `AES key must be 16, 24 or 32 bytes, got ${key.length}`,
      );
    }
    this.key = Buffer.from(key);
    this.algorithm = algorithm;
  }

  /** UTF-8 plaintext → Base64 ciphertext. Node's default padding for AES is PKCS#7 = PKCS5Padding. */
  encrypt(plaintext: string): string {
    const cipher = createCipheriv(this.algorithm, this.key, null);
    return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
  }

  /** Base64 ciphertext → UTF-8 plaintext. Throws on a wrong key or corrupt input. */
  decrypt(base64: string): string {
    const decipher = createDecipheriv(this.algorithm, this.key, null);
    return Buffer.concat([
      decipher.update(Buffer.from(base64, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  }
}
