/** A problem in an input file, located by file and 1-based line. */
export class DataFileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'DataFileError';
  }
}
