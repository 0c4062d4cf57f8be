import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { renderGatewayOpenApi } from '../src/docs/render-openapi';

describe('docs/openapi.yaml', () => {
  let generated: string;
  beforeAll(async () => {
    generated = await renderGatewayOpenApi();
  });

  it('is what the code generates (run `npm run openapi:generate` when this fails)', () => {
    const committed = readFileSync(resolve(__dirname, '../../../docs/openapi.yaml'), 'utf8');
    expect(committed).toBe(generated);
  });

  it('documents every endpoint of the API with its security schemes', () => {
    const doc = parse(generated) as {
      paths: Record<string, Record<string, unknown>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/cardholders',
        '/v1/cards',
        '/v1/cards/{card_unique_no}/activation',
        '/v1/cards/{card_unique_no}/status',
        '/v1/cards/{card_unique_no}/pin',
        '/v1/commands/{command_id}',
        '/v1/cardholders/{cardholder_unique_no}',
        '/v1/cards/{card_unique_no}',
      ]),
    );
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['api-key', 'x-api-key']);
    // The callback endpoint is for KeySecure only, not part of the public API.
    expect(doc.paths['/callbacks/keysecure']).toBeUndefined();
  });
});
