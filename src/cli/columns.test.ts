import { describe, expect, it } from 'vitest';
import { formatColumns } from './columns.js';

describe('formatColumns', () => {
  it('aligns columns two spaces apart under their header, with no trailing spaces', () => {
    expect(
      formatColumns(
        ['NAME', 'STATE', 'NODE'],
        [
          ['container-a', 'running', 'n1'],
          ['b', 'stopped', ''],
        ],
      ),
    ).toBe(
      ['NAME         STATE    NODE', 'container-a  running  n1', 'b            stopped'].join('\n'),
    );
  });

  it('prints numbers and non-ASCII names aligned', () => {
    expect(
      formatColumns(
        ['N', 'X'],
        [
          ['é', 1],
          ['ab', 22],
        ],
      ),
    ).toBe(['N   X', 'é   1', 'ab  22'].join('\n'));
  });

  it('prints only the header when there are no rows', () => {
    expect(formatColumns(['A', 'B'], [])).toBe('A  B');
  });
});
