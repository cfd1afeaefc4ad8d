/**
 * An input the operator must fix (config, token, size limit). The CLI prints its message and
 * exits 1 without a stack trace; anything else is a bug and keeps its trace.
 */
export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A command line that does not parse or combine: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
