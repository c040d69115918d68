/** Where an event sits and who caused it: what the reactor folds need besides its data. */
export interface FoldContext {
  readonly position: number;
  /** The event's revision in its own stream. */
  readonly revision: number;
  readonly eventId: string;
  readonly correlationId: string;
}
