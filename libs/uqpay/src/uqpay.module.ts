/** Thin Nest wrapper: provides one UqpayClient built from a UqpayConfig and closes it on shutdown. */
import {
  DynamicModule,
  Inject,
  InjectionToken,
  Module,
  ModuleMetadata,
  OnApplicationShutdown,
  OptionalFactoryDependency,
  Provider,
} from '@nestjs/common';
import { UqpayClient } from './client';
import { UqpayConfig } from './config';

export const UQPAY_CONFIG = Symbol('UQPAY_CONFIG');

export interface UqpayModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => UqpayConfig | Promise<UqpayConfig>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  isGlobal?: boolean;
}

const clientProvider: Provider = {
  provide: UqpayClient,
  useFactory: (config: UqpayConfig) => new UqpayClient(config),
  inject: [UQPAY_CONFIG],
};

@Module({})
export class UqpayModule implements OnApplicationShutdown {
  constructor(@Inject(UqpayClient) private readonly client: UqpayClient) {}

  static forRoot(config: UqpayConfig, options: { isGlobal?: boolean } = {}): DynamicModule {
    return {
      module: UqpayModule,
      global: options.isGlobal ?? false,
      providers: [{ provide: UQPAY_CONFIG, useValue: config }, clientProvider],
      exports: [UqpayClient, UQPAY_CONFIG],
    };
  }

  static forRootAsync(options: UqpayModuleAsyncOptions): DynamicModule {
    return {
      module: UqpayModule,
      global: options.isGlobal ?? false,
      imports: options.imports ?? [],
      providers: [
        {
          provide: UQPAY_CONFIG,
          useFactory: options.useFactory as (
            ...args: unknown[]
          ) => UqpayConfig | Promise<UqpayConfig>,
          inject: options.inject ?? [],
        },
        clientProvider,
      ],
      exports: [UqpayClient, UQPAY_CONFIG],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
