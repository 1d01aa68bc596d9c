import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config/load-config.js';
import { loadSigningKey } from '../provenance/signing-key.js';
import { verifyProvenance } from '../provenance/verify-provenance.js';
import { parseImageReference } from '../registry/image-reference.js';
import { createRegistryClient } from '../registry/registry-client.js';
import { UsageError } from './usage-error.js';
import { parseCommandArgs } from './parse-command-args.js';
import { VERIFY_USAGE } from './command-usage.js';

/** `slipway verify IMAGE`: what a person checks before trusting an image, as `/deploy` checks it. */
export async function verifyCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('verify', args, { allowPositionals: true, options: { key: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const [image, ...extra] = parsed.positionals;
  if (!image || extra.length > 0) throw new UsageError(VERIFY_USAGE);
  let reference;
  try {
    reference = parseImageReference(image);
  } catch {
    throw new UsageError(`${image} is not an image reference with a registry and a tag or digest, such as 127.0.0.1:5000/gitlab/acme/app:<sha>`);
  }
  const config = loadConfig();
  const publicKey = parsed.values.key ? createPublicKey(await readFile(parsed.values.key, 'utf8')) : (await loadSigningKey(config.signingKeyFile, config.database.dataDir)).publicKey;
  const own = reference.registry === config.registry.host;
  const registry = createRegistryClient(own ? { host: reference.registry, username: config.registry.user, password: config.registry.password } : { host: reference.registry });
  const digest = reference.reference.startsWith('sha256:') ? reference.reference : (await registry.getManifest(reference.repository, reference.reference))?.digest;
  if (!digest) {
    console.error(`slipway: ${image} is not in the registry`);
    return 1;
  }
  const verdict = await verifyProvenance(registry, reference.repository, digest, publicKey);
  if (parsed.values.json) {
    console.log(JSON.stringify(verdict.ok ? { verified: true, digest, statements: verdict.provenances } : { verified: false, digest, reason: verdict.reason }));
    return verdict.ok ? 0 : 1;
  }
  if (!verdict.ok) {
    console.log(`NOT VERIFIED ${reference.registry}/${reference.repository}@${digest}: ${verdict.reason}`);
    return 1;
  }
  for (const provenance of verdict.provenances) {
    const { externalParameters: built, internalParameters: run } = provenance.predicate.buildDefinition;
    console.log(JSON.stringify(provenance, null, 2));
    console.log(
      `VERIFIED ${reference.registry}/${reference.repository}@${digest}: built by pipeline #${run.pipelineId} of ${built.forge}:${built.project} on ${built.ref}` +
        ` (${run.protectedRef && !run.fromFork ? 'protected' : 'not protected'}) at ${built.sha.slice(0, 12)}, signed by ${provenance.predicate.runDetails.builder.id}`,
    );
  }
  return 0;
}
