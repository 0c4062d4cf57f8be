import { Injectable } from '@nestjs/common';
import { loadDevKeyPair, sealSecret } from '@issuing-bridge/contracts';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { GatewayConfig } from '../config/config.schema';

/** Seals CVV / PIN to CARD_DATA_PUBLIC_KEY (the development pair when unset outside production). */
@Injectable()
export class CardDataSealer {
  private readonly publicKeyPem: string;

  constructor(@InjectAppConfig() config: GatewayConfig) {
    this.publicKeyPem = config.CARD_DATA_PUBLIC_KEY ?? loadDevKeyPair().publicKeyPem;
  }

  seal(plaintext: string): Promise<string> {
    return sealSecret(plaintext, this.publicKeyPem);
  }
}
