/** A bad flag or option value: the caller asked for something that cannot run (CLI exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
