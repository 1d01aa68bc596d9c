import { isMap } from 'yaml';
import { attempt, parseYamlFile, PipelineFileError } from '../pipeline-file-error.js';
import { GITLAB_CI_FILE, placeOf, problemsIn, type Mapping, type ReadingContext, type ResolvedFile } from './gitlab-ci-file.js';
import { resolveIncludes, type IncludeSources } from './resolve-includes.js';
import { ExtendsError, resolveExtends } from './resolve-extends.js';
import { REFERENCE_TAG, ReferenceError, resolveReferences } from './resolve-references.js';
import { GLOBAL_KEYWORDS } from './gitlab-ci-schema.js';

export const isJobKey = (key: string) => !GLOBAL_KEYWORDS.has(key) && !key.startsWith('.');

/** Phase 1: the file and its includes as one configuration, with `extends` and `!reference` resolved. */
export function resolveFile(text: string, context: ReadingContext, includes: IncludeSources | undefined): ResolvedFile {
  const main = parseYamlFile(GITLAB_CI_FILE, text, { customTags: [REFERENCE_TAG], duplicateKeys: 'last wins' });
  if (!isMap(main.document.contents)) throw new PipelineFileError(GITLAB_CI_FILE, ['the file must be a mapping of jobs and keywords (line 1)']);
  const config = resolveIncludes(main, includes, context.variables, context.checkout);
  const problemIn = problemsIn(config);
  const unread = config.unread[0];
  const unreadPlace = unread ? `${unread.what} (${placeOf(unread.file, unread.path)})` : undefined;
  // What an unread include (a component) would have brought is named as such, not as the file's own mistake.
  const mayComeFrom = unreadPlace ? `; it may come from ${unreadPlace}, which Slipway does not read: copy it into the repository and include it with local:` : '';
  const refuse = (path: readonly PropertyKey[], error: Error): never => {
    throw new PipelineFileError(GITLAB_CI_FILE, [problemIn(path, `${error.message}${mayComeFrom}`)]);
  };
  const extended: Mapping = attempt(() => resolveExtends(config.data, isJobKey), [ExtendsError], (error) => refuse([(error as ExtendsError).job, 'extends'], error));
  const data: Mapping = attempt(() => resolveReferences(extended), [ReferenceError], (error) => refuse((error as ReferenceError).at, error));
  return { config, data, problemIn, unreadPlace };
}
