import nock from 'nock';
import { afterAll } from 'vitest';

// The forges and Slack are the only things mocked; everything else is real and on loopback.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);

// Fakes persist for a whole file (a service reports long after the request that started it).
afterAll(() => {
  nock.cleanAll();
});
