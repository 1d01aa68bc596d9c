/** Where the lab (scripts/lab.sh) put things; each can be overridden for another machine. */
export const lab = {
  databaseUrl: process.env.SLIPWAY_TEST_DATABASE_URL ?? 'postgres://slipway:slipway@127.0.0.1:5432/slipway',
  registry: process.env.SLIPWAY_TEST_REGISTRY ?? '127.0.0.1:5000',
  dindImage: process.env.SLIPWAY_TEST_DIND_IMAGE ?? '127.0.0.1:5000/library/docker:dind',
};
