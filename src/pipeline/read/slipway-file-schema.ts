import { z } from 'zod';
import { ServicesSchema, VariableMapSchema } from './service-schema.js';

const variables = VariableMapSchema;

const relativePath = z
  .string({ error: 'must be a path inside the repository' })
  .min(1, { error: 'must not be empty' })
  .refine((value) => !value.startsWith('/') && !value.split('/').includes('..'), {
    error: 'must be a path inside the repository (no leading / and no ..)',
  });

/** The `test` job: an image and the shell lines to run in it, stopping at the first failure. */
export const TestJobSchema = z.strictObject(
  {
    /** Absent: the server's SLIPWAY_DEFAULT_IMAGE. */
    image: z.string({ error: 'must be an image name such as python:3.8-slim' }).min(1, { error: 'must not be empty' }).optional(),
    services: ServicesSchema.optional(),
    script: z
      .array(z.string({ error: 'must be a list of strings' }), { error: 'must be a list of strings' })
      .min(1, { error: 'must list at least one command' }),
    variables: variables.optional(),
    /** Seconds; the server's SLIPWAY_JOB_TIMEOUT when absent. */
    timeout: z.number({ error: 'must be a number of seconds' }).int({ error: 'must be a whole number of seconds' }).positive({ error: 'must be a positive number of seconds' }).optional(),
  },
  { error: 'must be a mapping with image, script and services' },
);

/** The image build: `false` turns it off; absent means "build if there is a Dockerfile". */
export const BuildJobSchema = z.union(
  [
    z.literal(false),
    z.strictObject({
      dockerfile: relativePath.default('Dockerfile'),
      context: relativePath.default('.'),
      args: variables.optional(),
    }),
  ],
  { error: 'must be false or a mapping with dockerfile, context and args' },
);

export const PipelineFileSchema = z.strictObject(
  {
    test: TestJobSchema.optional(),
    build: BuildJobSchema.optional(),
  },
  { error: 'must be a mapping with test and build' },
);

export type PipelineFile = z.infer<typeof PipelineFileSchema>;
