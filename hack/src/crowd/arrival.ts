/**
 * How a crowd arrives. `spread`: evenly over the window, one shopper every
 * window/users (a steady stream, the demo's crowd). `spike`: each shopper at a random
 * instant of a short window (a push notification or a countdown reaching zero: clumped,
 * unpaced). A pre-queue crowd is a spread timed before the opening (the CLI plans it).
 */
export type ArrivalShape = 'spread' | 'spike';

/** When shopper `index` of `users` arrives, in ms after the first could. */
export function arrivalOffsetMs(
  shape: ArrivalShape,
  index: number,
  users: number,
  seconds: number,
  random: () => number = Math.random,
): number {
  if (seconds <= 0) return 0;
  const windowMs = seconds * 1000;
  return shape === 'spike' ? random() * windowMs : (index / users) * windowMs;
}
