import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cloneFolder, contentLinkSchema, nbgitpullerLink } from './content-link.ts';

const parse = (input: Record<string, string>) =>
  contentLinkSchema.safeParse({ branch: '', file: '', ...input });

describe('nbgitpuller link', () => {
  it("clones where nbgitpuller does: the URL's last segment, .git kept", () => {
    assert.equal(cloneFolder('https://github.com/org/course'), 'course');
    assert.equal(cloneFolder('https://github.com/org/course/'), 'course');
    assert.equal(cloneFolder('http://127.0.0.1:9/srv/course.git'), 'course.git');
  });

  it('builds the user-redirect/git-pull link with repo, urlpath and branch', () => {
    const input = parse({
      repo: 'https://github.com/org/course.git',
      branch: 'main',
      file: '/week 1/intro.ipynb',
    });
    assert.ok(input.success);
    const link = new URL(nbgitpullerLink('https://hub.example.org', input.data));
    assert.equal(link.origin + link.pathname, 'https://hub.example.org/hub/user-redirect/git-pull');
    assert.equal(link.searchParams.get('repo'), 'https://github.com/org/course.git');
    assert.equal(link.searchParams.get('branch'), 'main');
    assert.equal(link.searchParams.get('urlpath'), 'lab/tree/course.git/week%201/intro.ipynb');
  });

  it('without a file opens the folder; without a branch leaves it to the repository', () => {
    const input = parse({ repo: 'https://example.org/course' });
    assert.ok(input.success);
    const link = new URL(nbgitpullerLink('http://h', input.data));
    assert.equal(link.searchParams.get('urlpath'), 'lab/tree/course');
    assert.equal(link.searchParams.has('branch'), false);
  });

  it('refuses bad input naming the field', () => {
    const cases: [Record<string, string>, string][] = [
      [{ repo: '' }, 'repo'],
      [{ repo: 'file:///etc' }, 'repo'],
      [{ repo: 'https://example.org/' }, 'repo'],
      [{ repo: 'javascript:alert(1)' }, 'repo'],
      [{ repo: 'https://e.org/c', branch: 'a b' }, 'branch'],
      [{ repo: 'https://e.org/c', branch: '--upload-pack=x' }, 'branch'],
      [{ repo: 'https://e.org/c', branch: 'a..b' }, 'branch'],
      [{ repo: 'https://e.org/c', file: '../x.ipynb' }, 'file'],
    ];
    for (const [input, field] of cases) {
      const result = parse(input);
      assert.equal(result.success, false, JSON.stringify(input));
      assert.equal(result.error.issues[0]?.path[0], field, JSON.stringify(input));
    }
  });
});
