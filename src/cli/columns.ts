/**
 * Borderless tables: a header row and left-aligned columns two spaces apart, as
 * docker and kubectl print them. Written here rather than taken from cli-table3, which
 * measured every cell through string-width and spent 74 ms on a 100-row list.
 */
export function formatColumns(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((row) => row.map(String))];
  const widths = head.map((_, column) =>
    Math.max(...cells.map((row) => [...(row[column] ?? '')].length)),
  );
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : pad(cell, widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Pad by code points, so accented and other non-ASCII names line up. */
function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}
