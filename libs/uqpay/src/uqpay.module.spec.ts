import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { UqpayClient } from './client';
import { UQPAY_CONFIG, UqpayModule } from './uqpay.module';

const config = {
  baseUrl: 'http://127.0.0.1:9/api',
  clientId: 'c',
  apiKey: 'k',
  requestTimeoutMs: 1_234,
};

@Injectable()
class Settings {
  readonly uqpay = config;
}
@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

describe('UqpayModule', () => {
  it('forRoot provides an UqpayClient built from the config and closes it on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [UqpayModule.forRoot(config)],
    }).compile();
    const client = moduleRef.get(UqpayClient);
    expect(client).toBeInstanceOf(UqpayClient);
    expect(client.config.requestTimeoutMs).toBe(1_234);
    expect(moduleRef.get(UQPAY_CONFIG)).toBe(config);
    const close = jest.spyOn(client, 'close');
    moduleRef.enableShutdownHooks();
    await moduleRef.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('forRootAsync builds the config from injected providers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        UqpayModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (s: Settings) => s.uqpay,
        }),
      ],
    }).compile();
    expect(moduleRef.get(UqpayClient).config.clientId).toBe('c');
    await moduleRef.close();
  });

  it('a bad config fails at start naming the setting', async () => {
    await expect(
      Test.createTestingModule({
        imports: [UqpayModule.forRoot({ ...config, clientId: '' })],
      }).compile(),
    ).rejects.toThrow(/clientId: is required/);
  });
});
