import { z } from 'zod';

/**
 * Field shapes shared by both forges' webhook schemas. A body that passes them can be stored
 * and indexed as it is: no NUL (PostgreSQL text refuses it), no number past a column's range,
 * no text longer than an index entry may be.
 */

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Text of at most `maxBytes` UTF-8 bytes with no control characters. */
export function boundedText(maxBytes: number) {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .refine((text) => !CONTROL.test(text), { error: 'must not contain control characters' })
    .refine((text) => Buffer.byteLength(text) <= maxBytes, { error: `must be at most ${maxBytes} bytes` });
}

/** A branch or tag ref, as Git and the forges allow them. */
export const RefText = boundedText(255);
/** `group/subgroup/project` or `owner/repo`. */
export const ProjectPath = boundedText(1024);

export const Sha = z.string().regex(/^[0-9a-f]{40}$/, { error: 'must be a 40-character commit SHA' });

/** A merge/pull request number: stored in an `integer` column. */
export const ChangeRequestNumber = z.number().int().positive().max(2_147_483_647, { error: 'must be below 2^31' });

/** An API id (project, installation): kept in JSON, so any safe integer. */
export const ApiId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER, { error: 'must be a safe integer' });
