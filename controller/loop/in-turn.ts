/**
 * inTurn wraps an async call so that each call starts only once the previous one settled, whatever their callers'
 * order of completion: repositories sync concurrently, but their results are saved one at a time, so no save
 * overtakes a later one. A call that fails rejects for its caller alone; the next one still runs.
 */
export function inTurn<A extends unknown[], R>(call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let previous: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const next = previous.then(() => call(...args));
    previous = next.catch(() => undefined);
    return next;
  };
}
