import { Injectable, type INestApplication, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { NestContainer } from '@nestjs/core/injector/container';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { buildOpenApiDocument } from './openapi-document';

/**
 * Serves Swagger UI at /docs (JSON at /docs-json, YAML at /docs-yaml). main.ts is shared and has no
 * hook for it, so the module does it on init with the pieces of the application SwaggerModule reads
 * (container, config, HTTP adapter); routes and static files are still added before listen().
 */
@Injectable()
export class SwaggerDocs implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as FastifyAdapter | undefined;
    if (!adapter) return;
    const container = (this.moduleRef as unknown as { container: NestContainer }).container;
    const app = {
      container,
      config: container.applicationConfig,
      getHttpAdapter: () => adapter,
      useStaticAssets: (options: object) => adapter.useStaticAssets(options as never),
    } as unknown as INestApplication;
    SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app));
  }
}
