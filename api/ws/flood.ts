// Flood control: two token buckets per session (frames and bytes), refilled continuously at
// the configured rate with a burst of twice that. Plain numbers on the session object, no
// timers: an idle session costs nothing.
export interface Bucket {
  frames: number;
  bytes: number;
  at: number;
}

export interface FloodLimits {
  readonly maxFramesPerSec: number;
  readonly maxBytesPerSec: number;
}

export type FloodVerdict = 'ok' | 'frames' | 'bytes';

export const BURST = 2;

export const freshBucket = (limits: FloodLimits, now: number): Bucket => ({
  frames: limits.maxFramesPerSec * BURST,
  bytes: limits.maxBytesPerSec * BURST,
  at: now,
});

/** Takes one frame of `size` bytes from the bucket, or says which limit it would exceed. */
export const take = (b: Bucket, limits: FloodLimits, size: number, now: number): FloodVerdict => {
  const elapsed = Math.max(0, now - b.at) / 1000;
  b.at = now;
  b.frames = Math.min(limits.maxFramesPerSec * BURST, b.frames + elapsed * limits.maxFramesPerSec);
  b.bytes = Math.min(limits.maxBytesPerSec * BURST, b.bytes + elapsed * limits.maxBytesPerSec);
  if (b.frames < 1) return 'frames';
  if (b.bytes < size) return 'bytes';
  b.frames -= 1;
  b.bytes -= size;
  return 'ok';
};
