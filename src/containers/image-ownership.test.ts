import { describe, expect, it } from 'vitest';
import { buildRepository, imageOwner, launchCandidates } from './image-ownership.js';

describe('image ownership', () => {
  it('reads the owner from the namespace, matched whole', () => {
    expect(imageOwner('acme/container-web')).toBe('acme');
    expect(imageOwner('acme-corp/container-web')).toBe('acme-corp');
    expect(imageOwner('container-acme')).toBeUndefined();
    expect(imageOwner('micado/base')).toBeUndefined();
  });

  it("builds into the client's namespace, or shared without one; never into the base images'", () => {
    expect(buildRepository('container-web', 'acme')).toBe('acme/container-web');
    expect(buildRepository('container-web', undefined)).toBe('container-web');
    expect(() => buildRepository('container-web', 'micado')).toThrow(/base images' namespace/);
  });

  it("launches the client's own image first, then the shared one, and refuses another's", () => {
    expect(launchCandidates('acme', 'container-web')).toEqual(['acme/container-web', 'container-web']); // prettier-ignore
    expect(launchCandidates('acme', 'acme/container-web')).toEqual(['acme/container-web']);
    expect(launchCandidates('acme', 'micado/base')).toEqual(['micado/base']);
    expect(() => launchCandidates('acme', 'acme-corp/container-web')).toThrow(
      "image acme-corp/container-web is client acme-corp's: launch an image of client acme's own (micado build --client acme) or a shared one",
    );
  });
});
