import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { buildOpenApiDocument } from './openapi-document';

/** Swagger UI at /docs, the document at /docs-json and /docs-yaml; called from main.ts before listen. */
export function setupSwaggerDocs(app: NestFastifyApplication): void {
  // Built on first request, from the same function as docs/openapi.yaml.
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app));
}
