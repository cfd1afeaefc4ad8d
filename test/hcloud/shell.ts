/**
 * Splits one printed command line into argv the way a POSIX shell would, for the only forms
 * the summary prints: plain words, single-quoted words, and `\'` (a quote inside a quoted word).
 * Anything else a shell would expand or interpret (`$`, backquotes, double quotes, other
 * backslashes, globs, redirections, `;`, `&`, `|`, `#`, `~`) makes it throw, so a command the test runs is exactly what an operator's shell runs.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    while (i < line.length && line[i] !== ' ') {
      if (line[i] === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new Error(`unterminated quote in: ${line}`);
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (line.startsWith("\\'", i)) {
        word += "'";
        i += 2;
      } else if (/[A-Za-z0-9_@%:/.,=+-]/.test(line[i]!)) {
        word += line[i++];
      } else {
        throw new Error(`a shell would interpret ${JSON.stringify(line[i])} in: ${line}`);
      }
    }
    words.push(word);
  }
  return words;
}
