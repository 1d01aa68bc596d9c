import { z } from 'zod';
import { HOST_NAME } from '../services.js';
import type { ServiceSpec } from '../plan.js';

/** `NAME: value` pairs; numbers and booleans become text, as GitLab reads them. */
export const VariableMapSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a variable name such as MY_VAR' }),
  z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }).transform(String),
  { error: 'must be a mapping of NAME: value' },
);

const commandLine = z
  .union([z.string().min(1), z.array(z.string(), { error: 'must be a list of strings' }).min(1)], {
    error: 'must be a list of strings such as ["postgres", "-c", "fsync=off"]',
  })
  .transform((value) => (typeof value === 'string' ? [value] : value));

/** GitLab takes several aliases in one string, separated by commas or spaces. */
const aliasList = z
  .string({ error: 'must be a host name such as db' })
  .transform((value) => value.split(/[\s,]+/).filter((alias) => alias.length > 0))
  .refine((aliases) => aliases.length > 0 && aliases.every((alias) => HOST_NAME.test(alias)), {
    error: 'must be host names (letters, digits, ., - and _) such as db, separated by commas',
  });

const imageName = z.string({ error: 'must be an image name such as postgres:15' }).min(1, { error: 'must not be empty' });

/**
 * One entry of `services:`, as GitLab and `.slipway.yml` write it: an image name, or a mapping
 * with `name`, `alias`, `entrypoint`, `command` and `variables`.
 */
export const ServiceSchema = z.preprocess(
  // An image name alone is the short form; one object schema then names the field at fault.
  (value) => (typeof value === 'string' ? { name: value } : value),
  z
    .looseObject(
      {
        name: imageName,
        alias: aliasList.optional(),
        entrypoint: commandLine.optional(),
        command: commandLine.optional(),
        variables: VariableMapSchema.optional(),
      },
      { error: 'must be an image name such as postgres:15, or a mapping with name and alias' },
    )
    .transform(
      (service): ServiceSpec => ({
        image: service.name,
        aliases: service.alias ?? [],
        ...(service.entrypoint ? { entrypoint: service.entrypoint } : {}),
        ...(service.command ? { command: service.command } : {}),
        variables: service.variables ?? {},
      }),
    ),
);

/** Each service is a container in the job's namespace; past this many, a file is more likely a mistake (or a fork's abuse) than a test set-up. */
export const MAX_SERVICES = 16;

export const ServicesSchema = z.array(ServiceSchema, { error: 'must be a list of services' }).max(MAX_SERVICES, { error: `must list at most ${MAX_SERVICES} services` });
