// The one module that speaks to a metrics library: a prom-client `Registry` or an OpenTelemetry `Meter`, both typed
// structurally (no import of either). Everything else in this package records through `Instruments`.

/**
 * The part of a prom-client `Registry` this package uses: `registerMetric`. Our metrics are registered as collectors
 * shaped like prom-client's own (`name`, `help`, `type`, `get()`), so `registry.metrics()` renders them with yours.
 */
export interface PromRegistryLike {
  /**
   * Adds a metric; prom-client throws when another metric has the name. The parameter is typed `never` so that
   * prom-client's own signature (which names its metric classes) fits; this package passes a {@link PromMetric}.
   */
  registerMetric(metric: never): void;
}

/** One sample as prom-client's `metric.get()` returns it. */
export interface PromSample {
  /** Sample value. */
  value: number;
  /** Label values by label name. */
  labels: Record<string, string | number>;
  /** Sample name when it differs from the metric's (`_bucket`, `_sum`, `_count` of a histogram). */
  metricName?: string;
}

/** A metric as prom-client's `Registry` reads it (`registerMetric`, `metrics()`, `getMetricsAsJSON()`, `resetMetrics()`). */
export interface PromMetric {
  /** Metric name (prom-client renames counters in OpenMetrics mode). */
  name: string;
  /** HELP text. */
  readonly help: string;
  /** Prometheus type. */
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** How prom-client's cluster mode merges workers' values. */
  readonly aggregator: 'sum';
  /** The current samples. */
  get(): Promise<{ name: string; help: string; type: string; values: PromSample[]; aggregator: 'sum' }>;
  /** Zeroes recorded values (`registry.resetMetrics()`); observed values (breaker state, health) are read again at scrape. */
  reset(): void;
}

/** Attributes of an OpenTelemetry measurement. */
export type OtelAttributes = Record<string, string | number>;

/** Options of an OpenTelemetry instrument (the fields this package sets). */
export interface OtelInstrumentOptions {
  /** Instrument description. */
  description?: string;
  /** UCUM unit, e.g. `s`. */
  unit?: string;
  /** Bucket boundaries for histograms (`advice.explicitBucketBoundaries`). */
  advice?: { explicitBucketBoundaries?: number[] };
}

/** What an observable instrument's callback receives. */
export interface OtelObservableResult {
  /** Reports one value with its attributes. */
  observe(value: number, attributes?: OtelAttributes): void;
}

/** An OpenTelemetry observable instrument (gauge, counter). */
export interface OtelObservable {
  /** Registers a callback run at each collection. */
  addCallback(callback: (result: OtelObservableResult) => void): void;
}

/**
 * The part of an OpenTelemetry `Meter` (`@opentelemetry/api`) this package uses; `metrics.getMeter('my-service')` or
 * `meterProvider.getMeter(...)` returns one.
 */
export interface OtelMeterLike {
  /** A monotonic counter. */
  createCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): { add(value: number, attributes?: OtelAttributes): void };
  /** A counter that goes up and down. */
  createUpDownCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): { add(value: number, attributes?: OtelAttributes): void };
  /** A histogram. */
  createHistogram(
    name: string,
    options?: OtelInstrumentOptions,
  ): { record(value: number, attributes?: OtelAttributes): void };
  /** A gauge read at collection. */
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservable;
  /** A monotonic counter read at collection. */
  createObservableCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
}

/** One metric, named for both worlds: Prometheus names and labels, OpenTelemetry names and attributes. */
export interface MetricDef {
  prom: string;
  otel: string;
  help: string;
  /** UCUM unit for OpenTelemetry (`s`, `{request}`). */
  unit: string;
  /** Label names in Prometheus. */
  labels: readonly string[];
  /** The same labels as OpenTelemetry attribute names, in the same order. */
  attrs: readonly string[];
}

/** Records values for one label set, keyed by label values in `labels` order. */
export interface Counter {
  add(values: readonly string[], n: number): void;
}
/** A histogram. */
export interface Histogram {
  observe(values: readonly string[], v: number): void;
}
/** Reports every current value at collection. */
export type Collect = (emit: (values: readonly string[], v: number) => void) => void;

/** What the rest of the package records through. */
export interface Instruments {
  /** Monotonic counter (`_total` in Prometheus). */
  counter(def: MetricDef): Counter;
  /** Gauge moved by deltas. */
  upDown(def: MetricDef): Counter;
  histogram(def: MetricDef, buckets: readonly number[]): Histogram;
  /** A gauge or counter read at collection from `collect`. */
  observed(def: MetricDef, kind: 'gauge' | 'counter', collect: Collect): void;
}

const SEP = '\u0000';
/** The series key of a label set: the value itself for one label (most of them), else the values joined. */
const keyOf = (values: readonly string[]): string =>
  values.length === 1
    ? values[0]!
    : values.length === 3
      ? `${values[0]}${SEP}${values[1]}${SEP}${values[2]}`
      : values.join(SEP);

interface Series {
  values: readonly string[];
  n: number;
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i]!;
  return out;
}

/** Instruments kept in this process and registered with a prom-client `Registry` as collectors. */
export function promInstruments(registry: PromRegistryLike): Instruments {
  const register = (def: MetricDef, type: PromMetric['type'], samples: () => PromSample[], reset: () => void): void => {
    const metric: PromMetric = {
      name: def.prom,
      help: def.help,
      type,
      aggregator: 'sum',
      // `metric.name`, not def.prom: prom-client renames counters in OpenMetrics mode (drops `_total`, adds it per sample)
      get: () => Promise.resolve({ name: metric.name, help: def.help, type, values: samples(), aggregator: 'sum' }),
      reset,
    };
    registry.registerMetric(metric as never);
  };
  const sum = (def: MetricDef, type: 'counter' | 'gauge'): Counter => {
    const series = new Map<string, Series>();
    register(
      def,
      type,
      () => [...series.values()].map((s) => ({ value: s.n, labels: labelsOf(def.labels, s.values) })),
      () => {
        for (const s of series.values()) s.n = 0;
      },
    );
    return {
      add(values, n) {
        const key = keyOf(values);
        const s = series.get(key);
        if (s !== undefined) s.n += n;
        else series.set(key, { values: values.slice(), n });
      },
    };
  };
  return {
    counter: (def) => sum(def, 'counter'),
    upDown: (def) => sum(def, 'gauge'),
    histogram(def, buckets) {
      interface HSeries {
        values: readonly string[];
        counts: Float64Array;
        sum: number;
        count: number;
      }
      const series = new Map<string, HSeries>();
      const les = buckets.map((b) => String(b));
      register(
        def,
        'histogram',
        () => {
          const out: PromSample[] = [];
          for (const s of series.values()) {
            const labels = labelsOf(def.labels, s.values);
            let acc = 0;
            for (let i = 0; i < les.length; i++) {
              acc += s.counts[i]!;
              out.push({ value: acc, labels: { ...labels, le: les[i]! }, metricName: `${def.prom}_bucket` });
            }
            out.push({ value: s.count, labels: { ...labels, le: '+Inf' }, metricName: `${def.prom}_bucket` });
            out.push({ value: s.sum, labels, metricName: `${def.prom}_sum` });
            out.push({ value: s.count, labels, metricName: `${def.prom}_count` });
          }
          return out;
        },
        () => {
          for (const s of series.values()) {
            s.counts.fill(0);
            s.sum = 0;
            s.count = 0;
          }
        },
      );
      return {
        observe(values, v) {
          const key = keyOf(values);
          let s = series.get(key);
          if (s === undefined) {
            s = { values: values.slice(), counts: new Float64Array(buckets.length), sum: 0, count: 0 };
            series.set(key, s);
          }
          // buckets are few (about 14): a linear scan beats a binary search here
          let i = 0;
          while (i < buckets.length && v > buckets[i]!) i++;
          if (i < buckets.length) s.counts[i]!++;
          s.sum += v;
          s.count++;
        },
      };
    },
    observed(def, kind, collect) {
      register(
        def,
        kind,
        () => {
          const out: PromSample[] = [];
          collect((values, v) => out.push({ value: v, labels: labelsOf(def.labels, values) }));
          return out;
        },
        () => {},
      );
    },
  };
}

/** Instruments created on an OpenTelemetry `Meter`; attribute objects are built once per label set and reused. */
export function otelInstruments(meter: OtelMeterLike): Instruments {
  const attrsCache = (def: MetricDef) => {
    const cache = new Map<string, OtelAttributes>();
    return (values: readonly string[]): OtelAttributes => {
      const key = keyOf(values);
      let a = cache.get(key);
      if (a === undefined) {
        a = labelsOf(def.attrs, values);
        cache.set(key, a);
      }
      return a;
    };
  };
  const opts = (def: MetricDef): OtelInstrumentOptions => ({ description: def.help, unit: def.unit });
  return {
    counter(def) {
      const c = meter.createCounter(def.otel, opts(def));
      const attrs = attrsCache(def);
      return { add: (values, n) => c.add(n, attrs(values)) };
    },
    upDown(def) {
      const c = meter.createUpDownCounter(def.otel, opts(def));
      const attrs = attrsCache(def);
      return { add: (values, n) => c.add(n, attrs(values)) };
    },
    histogram(def, buckets) {
      const h = meter.createHistogram(def.otel, { ...opts(def), advice: { explicitBucketBoundaries: [...buckets] } });
      const attrs = attrsCache(def);
      return { observe: (values, v) => h.record(v, attrs(values)) };
    },
    observed(def, kind, collect) {
      const o =
        kind === 'gauge'
          ? meter.createObservableGauge(def.otel, opts(def))
          : meter.createObservableCounter(def.otel, opts(def));
      o.addCallback((result) => collect((values, v) => result.observe(v, labelsOf(def.attrs, values))));
    },
  };
}
