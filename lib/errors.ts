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
