// Writes docs/openapi.yaml from the gateway's controllers (npm run openapi:generate).
// Nest's preview mode builds the module graph without instantiating providers: no Postgres, no Kafka.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderGatewayOpenApi } from '../apps/gateway/src/docs/render-openapi';

async function main(): Promise<void> {
  const target = resolve(__dirname, '..', 'docs', 'openapi.yaml');
  writeFileSync(target, await renderGatewayOpenApi());
  process.stdout.write(`wrote ${target}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`openapi:generate failed: ${(error as Error).message}\n`);
  process.exit(1);
});
