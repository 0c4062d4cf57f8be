import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { z } from 'zod';
import type { BaseConfig } from './base-config.schema';
import { loadConfig } from './load-config';

/** Injection token of the validated, typed config object (the zod schema's output). */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** `constructor(@InjectAppConfig() config: CardSvcConfig)` */
export const InjectAppConfig = (): ParameterDecorator => Inject(APP_CONFIG);

@Global()
@Module({})
export class PlatformConfigModule {
  /** Validates `process.env` against `schema` once, at start, and provides the result as APP_CONFIG. */
  static forRoot<S extends z.ZodType<BaseConfig, unknown>>(
    schema: S,
    serviceName?: string,
  ): DynamicModule {
    return {
      module: PlatformConfigModule,
      providers: [
        { provide: APP_CONFIG, useFactory: () => loadConfig(schema, process.env, serviceName) },
      ],
      exports: [APP_CONFIG],
    };
  }
}
