import { describe, expect, it } from 'vitest';
import { resolveName } from './names.js';

describe('resolveName', () => {
  it.each([
    ['small', ['small', 'medium'], 'small'],
    ['Small', ['small', 'medium'], 'small'],
    ['CLOUDSIGMA', ['CloudSigma', 'local'], 'CloudSigma'],
    ['node dscr', ['Node DSCR'], 'Node DSCR'],
    // An exact match wins over names that differ only in case.
    ['Big', ['big', 'Big'], 'Big'],
  ])('takes %s among %j as %s', (typed, known, expected) => {
    expect(resolveName('flavour', typed, known)).toBe(expected);
  });

  it('refuses an unknown name, naming the choices', () => {
    expect(() => resolveName('flavour', 'huge', ['small', 'medium'])).toThrow(
      "unknown flavour 'huge': use one of small, medium",
    );
  });

  it('refuses a name that matches two without regard to case', () => {
    expect(() => resolveName('cloud', 'BIG', ['big', 'Big'])).toThrow(
      "cloud 'BIG' is ambiguous: use one of big, Big exactly",
    );
  });
});
