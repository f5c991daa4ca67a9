import type { Sink } from './types.js';

/** Options of {@link consoleSink}. */
export interface ConsoleSinkOptions {
  /**
   * Use the console method matching the level (debug/info/warn/error) instead of `console.log` for every line.
   * Default false.
   */
  byLevel?: boolean;
}

/**
 * A sink for any runtime (browsers, edge workers, Deno, Bun): one `console` call per line, without the trailing
 * newline. Synchronous, so nothing is buffered.
 */
export function consoleSink(opts: ConsoleSinkOptions = {}): Sink {
  const c = globalThis.console;
  if (opts.byLevel === true) {
    return {
      write(line, level) {
        const s = line.endsWith('\n') ? line.slice(0, -1) : line;
        if (level >= 50) c.error(s);
        else if (level >= 40) c.warn(s);
        else if (level >= 30) c.info(s);
        else c.debug(s);
      },
    };
  }
  return {
    write(line) {
      c.log(line.endsWith('\n') ? line.slice(0, -1) : line);
    },
  };
}

/** The sink returned by {@link memorySink}. */
export interface MemorySink extends Sink {
  /** Lines written so far (each without its newline). */
  readonly lines: string[];
  /** Parsed lines. */
  records(): Array<Record<string, unknown>>;
  /** Forgets the lines. */
  clear(): void;
}

/** A sink that keeps lines in memory: for tests and for shipping batches yourself. */
export function memorySink(): MemorySink {
  const lines: string[] = [];
  return {
    lines,
    write(line) {
      lines.push(line.endsWith('\n') ? line.slice(0, -1) : line);
    },
    records() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    clear() {
      lines.length = 0;
    },
  };
}
