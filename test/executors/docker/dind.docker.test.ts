import { describe, expect, it } from 'vitest';
import { LABEL_INSTALLATION, LABEL_OWNER, LABEL_PIPELINE, LABEL_ROLE, listDinds, removeOrphanDinds, startDind } from '../../../src/executors/docker/dind.js';
import { PID_NAMESPACE } from '../../../src/executors/owner-label.js';
import os from 'node:os';
import { executorOptions, host, uniqueName } from '../../helpers/docker-lab.js';

describe('dind daemons', () => {
  it('answer on their own socket, with the registry mirror configured', async () => {
    const daemon = await startDind(host, uniqueName('dind'), executorOptions.dind, new AbortController().signal);
    try {
      const info = await daemon.docker.info();

      expect(info.RegistryConfig.Mirrors).toEqual(['http://127.0.0.1:5000/']);
      expect(info.ID).not.toBe((await host.info()).ID);
    } finally {
      await daemon.destroy();
    }
  });

  it('come from the mirror when the dind image is a Docker Hub name such as docker:dind', async () => {
    await host.getImage('docker:dind').remove().catch((error: { statusCode?: number }) => (error.statusCode === 404 ? undefined : Promise.reject(error)));

    const daemon = await startDind(host, uniqueName('dind'), { ...executorOptions.dind, image: 'docker:dind' }, new AbortController().signal);
    try {
      expect((await host.getImage('docker:dind').inspect()).Id).toBe((await host.getImage(executorOptions.dind.image).inspect()).Id);
      expect(await daemon.docker.ping()).toBeTruthy();
    } finally {
      await daemon.destroy();
    }
  });

  it('that a dead process left behind are removed; live ones, and those of another PID namespace or installation, stay', async () => {
    const ours = executorOptions.dind.installation;
    const orphanOf = (pipelineId: string, owner: string, installation = ours) =>
      host.createContainer({ Image: executorOptions.dind.image, Labels: { [LABEL_ROLE]: 'dind', [LABEL_PIPELINE]: pipelineId, [LABEL_OWNER]: owner, [LABEL_INSTALLATION]: installation } });
    const pipelineId = uniqueName('orphan');
    const orphan = await orphanOf(pipelineId, `${os.hostname()}/999999999.${PID_NAMESPACE}`);
    // The same host name and a dead pid, but in a container's PID namespace: the pid means nothing here.
    const besideUs = await orphanOf(uniqueName('beside'), `${os.hostname()}/999999999.4026599999`);
    const otherInstallation = await orphanOf(uniqueName('other'), `${os.hostname()}/999999999.${PID_NAMESPACE}`, 'otherinstall');
    const live = await startDind(host, uniqueName('live'), executorOptions.dind, new AbortController().signal);
    try {
      const removed = await removeOrphanDinds(host, ours);
      const remaining = (await listDinds(host)).map((dind) => dind.id);

      expect(removed.map((dind) => dind.pipelineId)).toEqual([pipelineId]);
      expect(remaining).not.toContain(orphan.id);
      expect(remaining).toEqual(expect.arrayContaining([live.containerId, besideUs.id, otherInstallation.id]));
    } finally {
      await live.destroy();
      for (const stray of [besideUs, otherInstallation]) await stray.remove({ force: true });
    }
  });

  it('fail with the daemon’s last words when it cannot start', async () => {
    const options = { ...executorOptions.dind, registryMirror: 'not a mirror address' };

    const start = startDind(host, uniqueName('broken'), options, new AbortController().signal);

    await expect(start).rejects.toThrow(/^the dind daemon exited with code \d+ before it was ready: /);
    expect((await listDinds(host)).filter((dind) => dind.pipelineId.startsWith('broken-'))).toEqual([]);
  });
});
