import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One provenance key for every Slipway a test run starts, so tests can sign what their fixtures claim was built. */
export const TEST_SIGNING_DIR = mkdtempSync(path.join(os.tmpdir(), 'slipway-test-signing-'));
export const TEST_SIGNING_KEY_FILE = path.join(TEST_SIGNING_DIR, 'signing-key.pem');
writeFileSync(TEST_SIGNING_KEY_FILE, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
