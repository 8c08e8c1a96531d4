/**
 * Telemetry on for the whole test suite, recorded in memory: every span and
 * every metric the in-process kits produce during the run. The root hook
 * (suite-log-hygiene.ts) starts it before the first test and, after the
 * last, searches every span attribute, event and metric label for the
 * credentials the run used. Tests read spans by trace id and counters by
 * name and labels.
 */
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import { AggregationTemporality, DataPointType, MetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { KitConfig } from "../../lib/config.js";
import { silentLogger } from "../../lib/log.js";
import { startTelemetry } from "../../lib/telemetry/index.js";

/** How many finished spans are kept for tests to look at (the strings of all of them are kept for the hygiene check). */
const KEPT_SPANS = 20_000;

/** Keeps finished spans and every string they carry. */
class CapturingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  /** Span names, attribute keys and values, event names and attributes, status messages, link attributes. */
  readonly strings = new Set<string>();

  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    for (const span of spans) {
      this.spans.push(span);
      this.strings.add(span.name);
      if (span.status.message !== undefined) this.strings.add(span.status.message);
      addAttributes(this.strings, span.attributes);
      for (const event of span.events) {
        this.strings.add(event.name);
        addAttributes(this.strings, event.attributes ?? {});
      }
      for (const link of span.links) addAttributes(this.strings, link.attributes ?? {});
    }
    if (this.spans.length > KEPT_SPANS) this.spans.splice(0, this.spans.length - KEPT_SPANS);
    done({ code: 0 });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A metric reader read on demand (cumulative), for assertions and the hygiene check. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function addAttributes(strings: Set<string>, attributes: Attributes): void {
  for (const [key, value] of Object.entries(attributes)) {
    strings.add(key);
    for (const item of Array.isArray(value) ? value : [value as AttributeValue]) if (item !== undefined && item !== null) strings.add(String(item));
  }
}

const exporter = new CapturingExporter();
const reader = new OnDemandReader();

/** The suite's telemetry: what the in-process kits recorded. */
export const suiteTelemetry = {
  /** Starts recording (the root hook calls it once). */
  start(): Promise<void> {
    const off: KitConfig["telemetry"] = { exporter: "off" };
    return startTelemetry(off, silentLogger, { spanProcessors: [new SimpleSpanProcessor(exporter)], metricReaders: [reader] });
  },

  /** Finished spans of one trace, oldest first. */
  spansOf(traceId: string): ReadableSpan[] {
    return exporter.spans.filter((span) => span.spanContext().traceId === traceId);
  },

  /** Every finished span still kept, oldest first. */
  spans(): readonly ReadableSpan[] {
    return exporter.spans;
  },

  /** The cumulative value of a counter (or a histogram's count) for data points whose labels include `labels`. */
  async metric(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    const { resourceMetrics } = await reader.collect();
    let total = 0;
    for (const metric of metricsNamed(resourceMetrics, name)) {
      for (const point of metric.dataPoints as Array<{ attributes: Attributes; value: unknown }>) {
        if (!Object.entries(labels).every(([key, value]) => point.attributes[key] === value)) continue;
        total += metric.dataPointType === DataPointType.HISTOGRAM ? (point.value as { count: number }).count : Number(point.value);
      }
    }
    return total;
  },

  /** Every string of every span so far, and every metric label, for the credential search. */
  async strings(): Promise<string[]> {
    const { resourceMetrics } = await reader.collect();
    const strings = new Set(exporter.strings);
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        strings.add(metric.descriptor.name);
        for (const point of metric.dataPoints as Array<{ attributes: Attributes }>) addAttributes(strings, point.attributes);
      }
    }
    addAttributes(strings, resourceMetrics.resource.attributes);
    return [...strings];
  },
};

/**
 * Waits until a kit process (started with LOG_LEVEL=info or debug) says its
 * telemetry records: requests before that are served untraced.
 */
export async function telemetryStartedIn(host: { output(): string }, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!host.output().includes("telemetry.started")) {
    if (Date.now() > deadline) throw new Error(`the kit process did not start its telemetry within ${timeoutMs} ms:\n${host.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function metricsNamed(resourceMetrics: ResourceMetrics, name: string) {
  return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.filter((metric) => metric.descriptor.name === name));
}
