// A handler's way to say "this event can never be applied" (its data breaks the projection's
// own rules: a bug, or a value the engine refuses for good), as opposed to a failure of the
// engine, which is retried. The follower then applies the batch one event at a time, and
// quarantines the one that fails this way (apply.ts), instead of retrying it for ever.

export class Unhandleable extends Error {
  readonly unhandleable = true;
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'Unhandleable';
  }
}

/** True for an Unhandleable, or any error marked `unhandleable: true` (ports/follower.ts). */
export const isUnhandleable = (e: unknown): e is Error =>
  e instanceof Error && (e as { readonly unhandleable?: unknown }).unhandleable === true;
