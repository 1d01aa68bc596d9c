import { branchTag } from '../pipeline/image-names.js';
import { matchesRef } from '../model/ref-patterns.js';

/** What decides which tags of a project's repository a pipeline may write. */
export interface TagWriter {
  /** The pipeline's own commit. */
  sha: string;
  defaultBranch: string | null;
  /** The project's protected refs besides the default branch (SLIPWAY_CONFIG `protectedRefs`). */
  protectedRefs: readonly string[];
}

const COSIGN_TAG = /^sha256-[0-9a-f]{64}(?:\.[a-z]+)?$/;
const SHA_TAG = /^[0-9a-f]{7,64}$/;

/**
 * Why an unprotected pipeline may not write `tag`, or undefined when it may: `latest`, a
 * protected branch's tag and another commit's SHA tag name what protected pipelines built (and
 * restore as build cache); `sha256-….att` holds Slipway's signed provenance.
 */
export function protectedTagReason(tag: string, writer: TagWriter): string | undefined {
  if (COSIGN_TAG.test(tag)) return 'it holds signatures and attestations, which only Slipway writes';
  if (tag === 'latest') return 'latest belongs to the default branch';
  if (SHA_TAG.test(tag) && !writer.sha.startsWith(tag)) return `it names commit ${tag}, not the pipeline's own ${writer.sha.slice(0, 12)}`;
  if (writer.defaultBranch !== null && tag === branchTag(writer.defaultBranch)) return `it is the default branch's tag (${writer.defaultBranch})`;
  const patterns = writer.protectedRefs.flatMap((pattern) => [pattern, branchTag(pattern).replace(/-\*?$/, '-*')]);
  if (matchesRef(tag, patterns)) return "it is a protected branch's tag (protectedRefs in SLIPWAY_CONFIG)";
  return undefined;
}
