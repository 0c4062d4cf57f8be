import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SEALING_ALG, SEALING_ENC } from './fields';

// Sealing of CVV / PIN between the gateway (or any caller) and card-svc: JWE compact serialization,
// RSA-OAEP-256 key wrapping + A256GCM content encryption, via `jose`.
// Anyone may seal with the PUBLIC key; only card-svc holds the PRIVATE key (CARD_DATA_PRIVATE_KEY)
// and opens a secret just before re-encrypting it for the provider.

type Jose = typeof import('jose');
let jose: Jose | undefined;

// jose 6 is ESM-only. Node >= 20.19 can require() it, so it is loaded on first use rather than at
// import time: importing the contracts never fails, even where ESM cannot be required.
function loadJose(): Jose {
  if (!jose) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      jose = require('jose') as Jose;
    } catch (error) {
      throw new Error(
        'jose (ESM-only) cannot be required here: use Node >= 20.19, or in jest add ' +
          "transformIgnorePatterns: ['/node_modules/(?!jose/)'] so it is compiled to CommonJS",
        { cause: error },
      );
    }
  }
  return jose;
}

/** Seals a secret (e.g. a 3-digit CVV, a 6-digit PIN) for card-svc. Returns a JWE compact string. */
export async function sealSecret(plaintext: string, publicKeyPem: string): Promise<string> {
  const { CompactEncrypt, importSPKI } = loadJose();
  const key = await importSPKI(publicKeyPem, SEALING_ALG);
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ alg: SEALING_ALG, enc: SEALING_ENC })
    .encrypt(key);
}

/**
 * Opens a sealed secret. Only card-svc calls this, with its private key. Throws SealedSecretError
 * (without any detail of the content) if the JWE is malformed, tampered with or for another key.
 */
export async function openSealed(jwe: string, privateKeyPem: string): Promise<string> {
  const { compactDecrypt, importPKCS8 } = loadJose();
  const key = await importPKCS8(privateKeyPem, SEALING_ALG);
  try {
    const { plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [SEALING_ALG],
      contentEncryptionAlgorithms: [SEALING_ENC],
    });
    return new TextDecoder().decode(plaintext);
  } catch {
    throw new SealedSecretError();
  }
}

export class SealedSecretError extends Error {
  readonly code = 'sealed_secret_unreadable';
  constructor() {
    super('sealed secret cannot be opened: malformed, tampered with, or sealed for another key');
    this.name = 'SealedSecretError';
  }
}

/** Repository-relative paths of the DEVELOPMENT ONLY key pair (never use it in production). */
export const DEV_KEY_PATHS = {
  publicKey: 'config/dev-keys/card-data.public.pem',
  privateKey: 'config/dev-keys/card-data.private.pem',
} as const;

/**
 * Reads the committed DEVELOPMENT ONLY key pair. Services use it as the default of
 * CARD_DATA_PUBLIC_KEY / CARD_DATA_PRIVATE_KEY when those are unset outside production.
 */
export function loadDevKeyPair(repoRoot = resolve(__dirname, '../../..')): {
  publicKeyPem: string;
  privateKeyPem: string;
} {
  return {
    publicKeyPem: readFileSync(resolve(repoRoot, DEV_KEY_PATHS.publicKey), 'utf8'),
    privateKeyPem: readFileSync(resolve(repoRoot, DEV_KEY_PATHS.privateKey), 'utf8'),
  };
}
