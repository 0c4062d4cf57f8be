import { loadDevKeyPair } from '@issuing-bridge/contracts';
import type { CardSvcConfig } from '../config/config.schema';

/** Injection token of the PEM private key that opens sealed CVV / PIN (card-svc alone holds it). */
export const CARD_PRIVATE_KEY = Symbol('CARD_PRIVATE_KEY');

/** CARD_DATA_PRIVATE_KEY, or the committed development key outside production (config refuses that in production). */
export function cardPrivateKey(config: CardSvcConfig): string {
  if (config.CARD_DATA_PRIVATE_KEY) {
    if (!config.CARD_DATA_PRIVATE_KEY.includes('-----BEGIN ')) {
      throw new Error('CARD_DATA_PRIVATE_KEY: must be a PKCS#8 PEM block (JWK is not supported by card-svc yet)');
    }
    return config.CARD_DATA_PRIVATE_KEY;
  }
  return loadDevKeyPair().privateKeyPem;
}
