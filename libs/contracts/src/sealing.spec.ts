import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { COMMAND_TYPES } from './commands';
import { EXAMPLE_SEALED_CVV, EXAMPLE_SEALED_PIN, exampleCommandData } from './examples';
import { createCommand } from './factory';
import { decodeProtectedHeader } from './jwe-header';
import { DEV_KEY_PATHS, loadDevKeyPair } from './sealing';

const repoRoot = resolve(__dirname, '../../..');

// jose 6 is ESM-only and jest (CJS, Node 20) cannot load it, so the real sealing runs in a plain
// Node process (which can require() ESM) — the same way the services run it.
const script = `
const { generateKeyPairSync } = require('node:crypto');
const s = require('./libs/contracts/src/sealing.ts');
const ex = require('./libs/contracts/src/examples.ts');
(async () => {
  const dev = s.loadDevKeyPair();
  const other = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const failure = async (fn) => { try { await fn(); return null; } catch (e) { return { name: e.name, code: e.code, message: e.message }; } };
  const sealedA = await s.sealSecret('482', dev.publicKeyPem);
  const sealedB = await s.sealSecret('482', dev.publicKeyPem);
  const parts = sealedA.split('.');
  parts[3] = (parts[3][0] === 'A' ? 'B' : 'A') + parts[3].slice(1);
  process.stdout.write(JSON.stringify({
    sealedA, sealedB,
    opened: await s.openSealed(sealedA, dev.privateKeyPem),
    exampleCvv: await s.openSealed(ex.EXAMPLE_SEALED_CVV, dev.privateKeyPem),
    examplePin: await s.openSealed(ex.EXAMPLE_SEALED_PIN, dev.privateKeyPem),
    wrongKey: await failure(() => s.openSealed(sealedA, other.privateKey)),
    tampered: await failure(() => s.openSealed(parts.join('.'), dev.privateKeyPem)),
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

type Outcome = {
  sealedA: string;
  sealedB: string;
  opened: string;
  exampleCvv: string;
  examplePin: string;
  wrongKey: { name: string; code: string; message: string } | null;
  tampered: { name: string; code: string; message: string } | null;
};

describe('sealSecret / openSealed (jose, RSA-OAEP-256 + A256GCM)', () => {
  let outcome: Outcome;
  beforeAll(() => {
    const stdout = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    outcome = JSON.parse(stdout) as Outcome;
  }, 90_000);

  it('round-trips a secret', () => {
    expect(outcome.opened).toBe('482');
  });

  it('produces a compact JWE with the agreed algorithms, different each time, without the plaintext', () => {
    expect(decodeProtectedHeader(outcome.sealedA)).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256GCM' });
    expect(outcome.sealedA.split('.')).toHaveLength(5);
    expect(outcome.sealedA).not.toBe(outcome.sealedB);
    expect(outcome.sealedA).not.toContain('482');
  });

  it('is accepted by the command schemas as cvv_jwe', () => {
    const data = { ...exampleCommandData(COMMAND_TYPES.cardActivate), cvv_jwe: outcome.sealedA };
    const command = createCommand({ type: COMMAND_TYPES.cardActivate, source: 'urn:test', data });
    expect(command.data.provider !== 'uqpay' && command.data.cvv_jwe).toBe(outcome.sealedA);
  });

  it('the committed example secrets open with the development key', () => {
    expect(outcome.exampleCvv).toBe('123');
    expect(outcome.examplePin).toBe('135790');
    expect(EXAMPLE_SEALED_CVV).not.toBe(EXAMPLE_SEALED_PIN);
  });

  it('refuses another key and a tampered ciphertext, with an error that reveals nothing', () => {
    for (const failure of [outcome.wrongKey, outcome.tampered]) {
      expect(failure).toMatchObject({
        name: 'SealedSecretError',
        code: 'sealed_secret_unreadable',
      });
      expect(failure?.message).not.toContain('482');
    }
  });
});

describe('development key pair', () => {
  it('is committed as PEM files and loads', () => {
    const keys = loadDevKeyPair();
    expect(keys.publicKeyPem).toContain('BEGIN PUBLIC KEY');
    expect(keys.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(DEV_KEY_PATHS.publicKey).toMatch(/^config\/dev-keys\//);
  });
});
