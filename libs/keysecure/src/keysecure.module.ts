/** Thin Nest wrapper: provides one KeySecureClient built from a KeySecureConfig and closes it on shutdown. */
import {
  DynamicModule,
  Inject,
  Module,
  ModuleMetadata,
  OnApplicationShutdown,
  Provider,
  InjectionToken,
  OptionalFactoryDependency,
} from '@nestjs/common';
import { KeySecureClient } from './client';
import { KeySecureConfig } from './config';

export const KEYSECURE_CONFIG = Symbol('KEYSECURE_CONFIG');

export interface KeySecureModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => KeySecureConfig | Promise<KeySecureConfig>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Register globally (default false). */
  isGlobal?: boolean;
}

const clientProvider: Provider = {
  provide: KeySecureClient,
  useFactory: (config: KeySecureConfig) => new KeySecureClient(config),
  inject: [KEYSECURE_CONFIG],
};

@Module({})
export class KeySecureModule implements OnApplicationShutdown {
  constructor(@Inject(KeySecureClient) private readonly client: KeySecureClient) {}

  static forRoot(config: KeySecureConfig, options: { isGlobal?: boolean } = {}): DynamicModule {
    return {
      module: KeySecureModule,
      global: options.isGlobal ?? false,
      providers: [{ provide: KEYSECURE_CONFIG, useValue: config }, clientProvider],
      exports: [KeySecureClient, KEYSECURE_CONFIG],
    };
  }

  static forRootAsync(options: KeySecureModuleAsyncOptions): DynamicModule {
    return {
      module: KeySecureModule,
      global: options.isGlobal ?? false,
      imports: options.imports ?? [],
      providers: [
        {
          provide: KEYSECURE_CONFIG,
          useFactory: options.useFactory as (
            ...args: unknown[]
          ) => KeySecureConfig | Promise<KeySecureConfig>,
          inject: options.inject ?? [],
        },
        clientProvider,
      ],
      exports: [KeySecureClient, KEYSECURE_CONFIG],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
