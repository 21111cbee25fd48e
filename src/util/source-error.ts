/** A position in a configuration or zone file (1-based line and column). */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/**
 * An error found in a zone, delivery or BGP file. `toString()` gives the one-line
 * `file:line:col: message` form that `anypick check` prints and editors understand.
 */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly code: string;
  readonly pos: SourcePos;

  constructor(pos: SourcePos, message: string, code = 'E_SOURCE', options?: { cause?: unknown }) {
    super(message, options);
    this.pos = pos;
    this.code = code;
  }

  /** `file:line:col: message` */
  format(): string {
    return `${this.pos.file}:${this.pos.line}:${this.pos.col}: ${this.message}`;
  }

  override toString(): string {
    return this.format();
  }
}

/** Several source errors found in one pass, so `check` can report all of them at once. */
export class SourceErrors extends Error {
  override readonly name = 'SourceErrors';
  readonly code = 'E_SOURCE_MANY';
  readonly errors: SourceError[];

  constructor(errors: SourceError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.errors = errors;
  }
}
