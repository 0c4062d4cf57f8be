import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { KeySecureClient } from './client';
import { KEYSECURE_CONFIG, KeySecureModule } from './keysecure.module';

const config = {
  baseUrl: 'http://127.0.0.1:9',
  apiKey: 'k',
  apiSecret: '0123456789abcdef',
  timezone: 'UTC+0',
};

@Injectable()
class Settings {
  readonly keysecure = config;
}
@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

describe('KeySecureModule', () => {
  it('forRoot provides a KeySecureClient built from the config', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KeySecureModule.forRoot(config)],
    }).compile();
    const client = moduleRef.get(KeySecureClient);
    expect(client).toBeInstanceOf(KeySecureClient);
    expect(client.config.timezone).toBe('UTC+0');
    expect(moduleRef.get(KEYSECURE_CONFIG)).toBe(config);
    await moduleRef.close();
  });

  it('forRootAsync resolves the config from injected providers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KeySecureModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings) => settings.keysecure,
        }),
      ],
    }).compile();
    expect(moduleRef.get(KeySecureClient).config.apiKey).toBe('k');
    const close = jest.spyOn(moduleRef.get(KeySecureClient), 'close');
    await moduleRef.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('fails at start-up on an invalid apiSecret', async () => {
    await expect(
      Test.createTestingModule({
        imports: [KeySecureModule.forRoot({ ...config, apiSecret: 'short' })],
      }).compile(),
    ).rejects.toThrow(/apiSecret/);
  });
});
