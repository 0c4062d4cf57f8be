import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { buildOpenApiDocument, openApiYaml } from './openapi-document';

/** docs/openapi.yaml content, built from the code without connecting to anything (preview mode). */
export async function renderGatewayOpenApi(): Promise<string> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    preview: true,
    logger: false,
  });
  try {
    return openApiYaml(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}
