import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageAttester } from '../../src/provenance/attest-image.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from '../../src/provenance/dsse.js';
import { loadSigningKey, type SigningKey } from '../../src/provenance/signing-key.js';
import { judgeProvenance, verifyProvenance } from '../../src/provenance/verify-provenance.js';
import { readAttestations, writeAttestation } from '../../src/provenance/attestations.js';
import { createRegistryClient } from '../../src/registry/registry-client.js';
import { runCli } from '../helpers/cli.js';
import { fakeSha, labFacts, uniqueName } from '../helpers/docker-lab.js';
import { lab } from '../helpers/lab.js';

const registry = createRegistryClient({ host: lab.registry });
const randomDigest = () => `sha256:${randomBytes(32).toString('hex')}`;

describe('signed provenance beside an image', () => {
  let dir: string;
  let key: SigningKey;
  const repository = `gitlab/${uniqueName('acme/signed')}`;
  const attest = (digest: string, overrides: { ref?: string; protectedRef?: boolean; project?: string; id?: string } = {}) =>
    imageAttester({ key, registryFor: () => registry, publicUrl: 'https://slipway.example' })({
      facts: labFacts({ id: overrides.id ?? '41', project: overrides.project ?? 'acme/signed', ref: overrides.ref ?? 'main', sha: fakeSha() }),
      image: { ref: `${lab.registry}/${repository}:tag`, digest },
      protectedRef: overrides.protectedRef ?? true,
      sourceDir: dir,
      job: 'build',
      startedOn: new Date('2026-12-01T10:00:00Z'),
      finishedOn: new Date('2026-12-01T10:02:00Z'),
    });
  const expected = { project: 'acme/signed', pipelineId: 41, branchesAllow: (ref: string) => ref === 'main' };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-provenance-'));
    await writeFile(path.join(dir, '.gitlab-ci.yml'), 'build:\n  script: [make]\n');
    key = await loadSigningKey(undefined, dir);
    await writeFile(path.join(dir, 'key.pub'), key.publicPem);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies a statement of a protected pipeline, and says which pipeline, project and ref built the image', async () => {
    const digest = randomDigest();
    await attest(digest);

    const verified = await verifyProvenance(registry, repository, digest, key.publicKey);
    const cli = await runCli(['verify', `${lab.registry}/${repository}@${digest}`, '--key', path.join(dir, 'key.pub')], { SLIPWAY_REGISTRY: lab.registry });

    expect(verified.ok).toBe(true);
    const statement = verified.ok ? verified.provenances[0] : undefined;
    expect(statement?.subject).toEqual([{ name: `${lab.registry}/${repository}`, digest: { sha256: digest.slice(7) } }]);
    expect(statement?.predicate.buildDefinition.externalParameters).toMatchObject({ forge: 'gitlab', project: 'acme/signed', ref: 'main', pipelineFile: { path: '.gitlab-ci.yml', digest: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    expect(statement?.predicate.buildDefinition.internalParameters).toEqual({ protectedRef: true, fromFork: false, pipelineId: 41, job: 'build' });
    expect(statement?.predicate.runDetails).toMatchObject({ builder: { id: 'https://slipway.example' }, metadata: { invocationId: 'https://slipway.example/pipelines/41' } });
    expect(judgeProvenance([statement!], expected)).toEqual({ ok: true, provenance: statement });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`VERIFIED ${lab.registry}/${repository}@${digest}: built by pipeline #41 of gitlab:acme/signed on main (protected)`);
  });

  it('refuses a tampered statement, one signed with another key, and an image with none', async () => {
    const [signedOne, tampered, foreign, bare] = [randomDigest(), randomDigest(), randomDigest(), randomDigest()];
    await attest(signedOne);
    const [envelope] = await readAttestations(registry, repository, signedOne);
    const statement = JSON.parse(Buffer.from(envelope!.payload, 'base64').toString()) as { predicate: { buildDefinition: { externalParameters: { ref: string } } } };
    statement.predicate.buildDefinition.externalParameters.ref = 'main-but-not-really';
    await writeAttestation(registry, repository, tampered, { ...envelope!, payload: Buffer.from(JSON.stringify(statement)).toString('base64') }, 'https://slsa.dev/provenance/v1');
    const otherKey = await loadSigningKey(undefined, await mkdtemp(path.join(os.tmpdir(), 'slipway-other-key-')));
    await writeAttestation(registry, repository, foreign, signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(envelope!.payload, 'base64'), otherKey.privateKey, otherKey.keyid), 'https://slsa.dev/provenance/v1');

    const results = await Promise.all([tampered, foreign, bare].map((digest) => verifyProvenance(registry, repository, digest, key.publicKey)));
    const cli = await runCli(['verify', `${lab.registry}/${repository}@${tampered}`, '--key', path.join(dir, 'key.pub')], { SLIPWAY_REGISTRY: lab.registry });

    expect(results.map((result) => (result.ok ? 'ok' : result.reason))).toEqual([
      `the provenance of ${tampered.slice(0, 19)} is not signed with this Slipway's key: it was tampered with, or made elsewhere`,
      `the provenance of ${foreign.slice(0, 19)} is not signed with this Slipway's key: it was tampered with, or made elsewhere`,
      `${bare.slice(0, 19)} has no signed provenance in ${repository}: only images a Slipway pipeline built and signed can be deployed`,
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/^NOT VERIFIED .*: the provenance of sha256:\w+ is not signed with this Slipway's key/m);
  });

  it('keeps every pipeline’s statement about a digest two of them built, and judges the one that tested the commit', async () => {
    const digest = randomDigest();
    await attest(digest, { id: '41' });
    await attest(digest, { id: '52', ref: 'feature/y', protectedRef: false });

    const verified = await verifyProvenance(registry, repository, digest, key.publicKey);

    expect(verified.ok && verified.provenances.map((each) => each.predicate.buildDefinition.internalParameters.pipelineId)).toEqual([41, 52]);
    expect(verified.ok && judgeProvenance(verified.provenances, expected).ok).toBe(true);
    expect(verified.ok && judgeProvenance(verified.provenances, { ...expected, pipelineId: 52 })).toEqual({ ok: false, reason: 'the image was built on feature/y, which is not a protected ref: only images built on protected refs are deployed' });
  });

  it('is judged against the project, the pipeline that tested the commit, a protected ref and the environment’s branches', async () => {
    const cases = [
      { overrides: { ref: 'feature/x', protectedRef: false }, reason: 'the image was built on feature/x, which is not a protected ref: only images built on protected refs are deployed' },
      { overrides: { project: 'mallory/tools' }, reason: 'the image was built for mallory/tools, not acme/signed' },
      { overrides: { id: '7' }, reason: 'the image was built by pipeline #7, not #41 which tested the commit' },
      { overrides: { ref: 'release/1' }, reason: "the image was built on release/1, which this environment's branches do not allow" },
    ];
    for (const { overrides, reason } of cases) {
      const digest = randomDigest();
      await attest(digest, overrides);
      const verified = await verifyProvenance(registry, repository, digest, key.publicKey);
      expect(verified.ok && judgeProvenance(verified.provenances, expected), JSON.stringify(overrides)).toEqual({ ok: false, reason });
    }
  });
});
