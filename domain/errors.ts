// Expected failures are values named after the violated rule. `kind` is the only thing the
// API looks at to choose a status code (api/errors.ts); `code` is what clients see.
// `invalid`: malformed input; `unprocessable`: well-formed input this deployment refuses
// (a push endpoint outside the allowed push services).
export type DomainErrorKind = 'forbidden' | 'not_found' | 'conflict' | 'invalid' | 'unprocessable';

export interface DomainError {
  readonly kind: DomainErrorKind;
  readonly code: string;
  readonly msg: string;
}

const make =
  (kind: DomainErrorKind) =>
  (code: string, msg: string): DomainError => ({ kind, code, msg });
export const forbidden = make('forbidden');
export const notFound = make('not_found');
export const conflict = make('conflict');
export const invalid = make('invalid');
export const unprocessable = make('unprocessable');

export const isDomainError = (u: unknown): u is DomainError =>
  typeof u === 'object' && u !== null && 'kind' in u && 'code' in u && 'msg' in u;
