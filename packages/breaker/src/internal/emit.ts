/** A listener list kept as an immutable array (copy on write) so emitting never sees a list change under it. */
export type ListenerList<T> = ReadonlyArray<(e: T) => void> | null;

/** Adds `l` and returns the new list. */
export function addListener<T>(list: ListenerList<T>, l: (e: T) => void): ReadonlyArray<(e: T) => void> {
  return list === null ? [l] : [...list, l];
}

/** Removes one occurrence of `l`; returns null when the list becomes empty. */
export function removeListener<T>(list: ListenerList<T>, l: (e: T) => void): ListenerList<T> {
  if (list === null) return null;
  const i = list.indexOf(l);
  if (i === -1) return list;
  const next = [...list.slice(0, i), ...list.slice(i + 1)];
  return next.length === 0 ? null : next;
}

/**
 * Calls every listener. A throwing listener cannot corrupt the caller's bookkeeping (state is updated before events
 * are emitted) nor replace the call's outcome: its error is rethrown asynchronously, where it is reported as uncaught.
 */
export function emit<T>(list: ReadonlyArray<(e: T) => void>, e: T): void {
  for (let i = 0; i < list.length; i++) {
    try {
      list[i]!(e);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
