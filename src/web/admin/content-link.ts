/**
 * "A link that opens this repository": the nbgitpuller link an administrator hands out
 * (course page, e-mail). Following it signs the person in, starts their server, clones or
 * updates the repository into their home (nbgitpuller, in the notebook environment) and opens
 * the file in JupyterLab:
 *
 *   <hub>/hub/user-redirect/git-pull?repo=<url>&urlpath=lab/tree/<folder>/<file>&branch=<b>
 *
 * `<folder>` is where nbgitpuller clones to by default: the repository URL's last path
 * segment, as it is (its handler takes `repo.rstrip('/').split('/')[-1]`, so `x.git` stays
 * `x.git`); the link must use the same rule or it would open a file that is not there.
 */
import { z } from 'zod';

const relativePath = z
  .string()
  .trim()
  .max(1000)
  .transform((p) => p.replace(/^\/+/, ''))
  .refine(
    (p) => !p.split('/').some((s) => s === '..' || s === '.') && !p.includes('\\'),
    'A path inside the repository, without . or .. parts.',
  );

/** The admin form (query of GET /hub/admin/links): one schema, errors name the field. */
export const contentLinkSchema = z.object({
  repo: z
    .string()
    .trim()
    .min(1, 'Enter the address of the git repository.')
    .max(2000)
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'https:' || url.protocol === 'http:') && url.pathname !== '/';
      } catch {
        return false;
      }
    }, 'Enter the https:// address of a git repository, such as https://github.com/org/course.'),
  branch: z
    .string()
    .trim()
    .max(255)
    .regex(/^[A-Za-z0-9._/-]*$/, 'A branch name: letters, digits, . _ / and - only.')
    .refine((b) => !b.includes('..') && !b.startsWith('-'), 'Not a valid branch name.'),
  file: relativePath,
});
export type ContentLinkInput = z.infer<typeof contentLinkSchema>;

/** The folder nbgitpuller clones `repo` into, relative to the person's home. */
export function cloneFolder(repo: string): string {
  const trimmed = repo.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The nbgitpuller link, absolute on `hubOrigin` (e.g. `https://notebooks.example.org`). */
export function nbgitpullerLink(hubOrigin: string, input: ContentLinkInput): string {
  const segments = [cloneFolder(input.repo), ...input.file.split('/').filter((s) => s !== '')];
  const urlpath = ['lab', 'tree', ...segments.map(encodeURIComponent)].join('/');
  const query = new URLSearchParams({ repo: input.repo, urlpath });
  if (input.branch !== '') query.set('branch', input.branch);
  return `${hubOrigin}/hub/user-redirect/git-pull?${query.toString()}`;
}
