/**
 * Reading a tool's JSON answer (hcloud's, kubectl's) at the boundary: each field the code uses
 * is taken through one of these, which checks its type and says where an answer of another
 * shape went wrong. A small reader rather than zod: the plan would otherwise load zod (about
 * 20 ms here) on every run for a few fields, and the error it gives is the same one line.
 */

/** An answer not of the shape the code reads, with the path to where it differs. */
export class AnswerShapeError extends Error {
  constructor(
    readonly at: string,
    readonly expected: string,
  ) {
    super(`at ${at || 'the top'}: expected ${expected}`);
  }
}

/** A JSON value being read, and where it sits in the answer. */
export class Answer {
  constructor(
    private readonly value: unknown,
    readonly at = '',
  ) {}

  private fail(expected: string): never {
    throw new AnswerShapeError(this.at, expected);
  }

  /** The member `key` of an object (absent members read as undefined). */
  get(key: string): Answer {
    if (this.value === null || typeof this.value !== 'object' || Array.isArray(this.value)) this.fail('an object');
    return new Answer((this.value as Record<string, unknown>)[key], this.at ? `${this.at}.${key}` : key);
  }

  /** Whether it is absent or null. */
  get missing(): boolean {
    return this.value === undefined || this.value === null;
  }

  /** The items of a list; absent or null reads as no items when `orEmpty`. */
  list(orEmpty = false): Answer[] {
    if (orEmpty && this.missing) return [];
    if (!Array.isArray(this.value)) this.fail('a list');
    return this.value.map((v, i) => new Answer(v, `${this.at}[${i}]`));
  }

  string(): string {
    if (typeof this.value !== 'string') this.fail('a string');
    return this.value;
  }

  number(): number {
    if (typeof this.value !== 'number' || !Number.isFinite(this.value)) this.fail('a number');
    return this.value;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail('true or false');
    return this.value;
  }

  /** A string, or undefined when absent or null. */
  optString(): string | undefined {
    return this.missing ? undefined : this.string();
  }

  optNumber(): number | undefined {
    return this.missing ? undefined : this.number();
  }

  optBoolean(): boolean | undefined {
    return this.missing ? undefined : this.boolean();
  }

  /** An object of string values (labels, annotations), or {} when absent. */
  strings(): Readonly<Record<string, string>> {
    if (this.missing) return {};
    if (typeof this.value !== 'object' || Array.isArray(this.value)) this.fail('an object of strings');
    for (const [k, v] of Object.entries(this.value as object))
      if (typeof v !== 'string') throw new AnswerShapeError(`${this.at}.${k}`, 'a string');
    return this.value as Record<string, string>;
  }
}
