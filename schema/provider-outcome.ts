// What a provider's answer to one delivery means to the broker: the Channel port's outcome
// (ports/channel.ts) and what the retry rules decide on (domain/triage/retry.ts), one type.
export type ProviderOutcome =
  | { readonly kind: 'delivered'; readonly providerId?: string }
  | {
      readonly kind: 'retry';
      readonly afterMs: number;
      readonly reason: string;
      /** The provider could not be reached at all (a broker that is down): retried until the message expires, not a number of times. */
      readonly unreachable?: boolean;
    }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'gone'; readonly reason: string };
