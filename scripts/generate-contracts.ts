// Writes docs/asyncapi.yaml and docs/schemas/<type>.json from libs/contracts (npm run contracts:generate).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SCHEMAS_DIR, buildContractFiles } from '../libs/contracts/src/asyncapi';

const root = resolve(__dirname, '..');
const files = buildContractFiles();

mkdirSync(join(root, SCHEMAS_DIR), { recursive: true });
// Remove schemas of types that no longer exist, so the folder mirrors the contracts exactly.
for (const name of readdirSync(join(root, SCHEMAS_DIR))) {
  if (name.endsWith('.json') && !files.has(`${SCHEMAS_DIR}/${name}`))
    rmSync(join(root, SCHEMAS_DIR, name));
}
for (const [path, content] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}
console.log(`contracts: wrote ${files.size} files`);
