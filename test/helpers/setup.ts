import nock from 'nock';
import { afterEach } from 'vitest';

// The forges and Slack are the only things mocked; everything else is real and on loopback.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);

afterEach(() => {
  nock.cleanAll();
});
