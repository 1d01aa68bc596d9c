import type { ForgeName } from '../model/forge-event.js';

/** Where a project's commits, branches and change requests are on its forge's website. */
export interface ForgeLinks {
  commit(sha: string): string;
  branch(ref: string): string;
  changeRequest(number: number): string;
  changeRequestLabel(number: number): string;
  /** What changed from `from` to `to`. */
  compare(from: string, to: string): string;
}

/** `web`: the forge's website, per forge (https://github.com, GITLAB_URL). */
export function forgeLinks(web: Partial<Record<ForgeName, string>>, forge: ForgeName, project: string): ForgeLinks | null {
  const base = web[forge];
  if (!base) return null;
  const at = `${base}/${project.split('/').map(encodeURIComponent).join('/')}`;
  const branch = (ref: string) => ref.split('/').map(encodeURIComponent).join('/');
  return forge === 'github'
    ? { commit: (sha) => `${at}/commit/${sha}`, branch: (ref) => `${at}/tree/${branch(ref)}`, changeRequest: (n) => `${at}/pull/${n}`, changeRequestLabel: (n) => `pull request #${n}`, compare: (from, to) => `${at}/compare/${from}...${to}` }
    : { commit: (sha) => `${at}/-/commit/${sha}`, branch: (ref) => `${at}/-/tree/${branch(ref)}`, changeRequest: (n) => `${at}/-/merge_requests/${n}`, changeRequestLabel: (n) => `merge request !${n}`, compare: (from, to) => `${at}/-/compare/${from}...${to}` };
}
