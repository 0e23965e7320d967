/** Bounded parallel work for the cluster's waves of requests. */

/** Bounded parallel map; collects every failure instead of stopping at the first. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<{ item: T; error: Error }[]> {
  const failures: { item: T; error: Error }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failures.push({ item, error: e as Error });
      }
    }
  };
  // Workers start one event-loop turn apart: the first request is on the wire while the next
  // ones are still being serialised, instead of all of them leaving in one burst at the end.
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, items.length); i++) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    workers.push(worker());
  }
  await Promise.all(workers);
  return failures;
}
