// The one shape of every vought error: a code callers branch on (never the message), a detail for
// logs (and, for some codes, clients), and an optional cause. Each package extends it once,
// declaring its codes as a string-literal union (`'storage.not_found' | ...`), so the HTTP layer's
// table of statuses (@vought/http-errors) is checked against every code at compile time.
export class CodedError<C extends string, D extends Record<string, unknown> = Record<string, unknown>> extends Error {
  readonly code: C;
  readonly detail: D;

  constructor(code: C, message: string, detail?: D, options?: { cause?: unknown }) {
    super(message, options);
    // the subclass's name (StorageError, AuthError, ...), as in stack traces and logs
    this.name = new.target.name;
    this.code = code;
    this.detail = detail ?? ({} as D);
  }
}
