import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventLoopLag } from '../../ports/load.js';

// The event loop's lag from Node's own sampler (perf_hooks.monitorEventLoopDelay): a timer
// every `resolutionMs` records how late it fired. Every `windowMs` the median of the window
// becomes the current lag and the histogram starts again. The median, not the maximum: one
// garbage collection or one large synchronous task is not overload, while a loop that is late
// for half of its timers over a whole window is. Each recorded delay includes the timer's own
// interval, which is taken off.
export const startEventLoopLag = (windowMs = 1000, resolutionMs = 10): EventLoopLag => {
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  let lag = 0;
  const timer = setInterval(() => {
    lag = h.count === 0 ? lag : Math.max(0, h.percentile(50) / 1e6 - resolutionMs);
    h.reset();
  }, windowMs);
  timer.unref();
  return {
    lagMs: () => lag,
    stop: () => {
      clearInterval(timer);
      h.disable();
    },
  };
};
