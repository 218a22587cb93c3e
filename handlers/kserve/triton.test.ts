/**
 * Triton's views of the registry without a server: the repository index's state mapping.
 */
import { describe, expect, it } from 'vitest';
import { repositoryIndex } from './triton.js';

// The integration test (test/integration/triton-extensions.test.ts) sees READY and UNAVAILABLE
// from a real registry; a model still loading is only a moment there, so its mapping is here.
describe('repositoryIndex', () => {
  it('maps every registry state onto Triton\'s READY / LOADING / UNAVAILABLE, with the reason', () => {
    const index = repositoryIndex([
      { name: 'a', version: '1', state: 'ready' },
      { name: 'b', version: '2', state: 'loading', reason: 'store unreachable; retrying' },
      { name: 'c', state: 'loading' },
      { name: 'd', version: '1', state: 'unavailable', reason: 'no live engine worker' },
      { name: 'e', version: '1', state: 'failed', reason: 'ENOENT' },
      { name: 'f', version: '1', state: 'closed', reason: 'shutting down' },
    ]);
    expect(index).toEqual([
      { name: 'a', version: '1', state: 'READY', reason: '' },
      { name: 'b', version: '2', state: 'LOADING', reason: 'store unreachable; retrying' },
      { name: 'c', state: 'LOADING', reason: '' },
      { name: 'd', version: '1', state: 'UNAVAILABLE', reason: 'no live engine worker' },
      { name: 'e', version: '1', state: 'UNAVAILABLE', reason: 'ENOENT' },
      { name: 'f', version: '1', state: 'UNAVAILABLE', reason: 'shutting down' },
    ]);
    expect(repositoryIndex([{ name: 'a', version: '1', state: 'ready' }, { name: 'c', state: 'loading' }], true).map((e) => e.name)).toEqual(['a']);
  });
});
