/**
 * The OpenTelemetry providers each exporter setting calls for, registered
 * as the process's global providers (so that OpenTelemetry-aware code of the
 * user's joins the same traces):
 *
 * - `azure-monitor`: the Azure Monitor distro (`useAzureMonitor`), with Entra
 *   authentication by managed identity when the authentication string asks
 *   for it (Application Insights with local auth off accepts nothing else).
 *   Its automatic instrumentations are off: the kit traces its own calls, and
 *   the HTTP instrumentation would trace every Azure SDK call and the
 *   exporter's own; live metrics and performance counters are off; every
 *   span is kept (no rate-limited sampling), so the workbook's counts are
 *   counts.
 * - `otlp`: OTLP over HTTP to `<endpoint>/v1/traces` and `/v1/metrics`.
 * - `console`: spans as they end and metrics every interval, on stdout.
 * - extras only (tests): whatever processors and readers the caller gave.
 */
import { context, metrics, propagation, trace, type Meter, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { TelemetrySettings } from "../config.js";
import { managedIdentityCredential } from "../secrets/managed-identity.js";
import type { RuntimeExtras } from "./state.js";

/** The instrumentation scope of every span and metric the kit records. */
export const INSTRUMENTATION_SCOPE = "mcp-functions-kit";

export interface Providers {
  readonly tracer: Tracer;
  readonly meter: Meter;
  shutdown(): Promise<void>;
}

/** Creates and registers the providers for `settings`. */
export async function createProviders(settings: TelemetrySettings, extras: RuntimeExtras): Promise<Providers> {
  const spanProcessors = [...(extras.spanProcessors ?? [])];
  const metricReaders = [...(extras.metricReaders ?? [])];
  if (settings.exporter === "azure-monitor") return azureMonitor(settings, spanProcessors, metricReaders);

  const serviceName = settings.exporter === "off" ? INSTRUMENTATION_SCOPE : settings.serviceName;
  if (settings.exporter === "otlp") {
    const [{ OTLPTraceExporter }, { OTLPMetricExporter }] = await Promise.all([import("@opentelemetry/exporter-trace-otlp-http"), import("@opentelemetry/exporter-metrics-otlp-http")]);
    const base = settings.endpoint.href.replace(/\/+$/, "");
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` })));
    metricReaders.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: settings.metricIntervalMs }));
  } else if (settings.exporter === "console") {
    spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    metricReaders.push(new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: settings.metricIntervalMs }));
  }
  return registerOwn(serviceName, spanProcessors, metricReaders);
}

function registerOwn(serviceName: string, spanProcessors: SpanProcessor[], readers: MetricReader[]): Providers {
  const resource = resourceFromAttributes({ "service.name": serviceName });
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors });
  const meterProvider = new MeterProvider({ resource, readers });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE),
    meter: meterProvider.getMeter(INSTRUMENTATION_SCOPE),
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

async function azureMonitor(settings: Extract<TelemetrySettings, { exporter: "azure-monitor" }>, spanProcessors: SpanProcessor[], metricReaders: MetricReader[]): Promise<Providers> {
  const { useAzureMonitor, shutdownAzureMonitor } = await import("@azure/monitor-opentelemetry");
  const off = { enabled: false };
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString: settings.connectionString,
      ...(settings.entra === undefined ? {} : { credential: managedIdentityCredential(settings.entra.managedIdentityClientId) }),
    },
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    samplingRatio: 1,
    tracesPerSecond: 0,
    enableLiveMetrics: false,
    enablePerformanceCounters: false,
    instrumentationOptions: { azureSdk: off, http: off, mongoDb: off, mySql: off, postgreSql: off, redis: off, redis4: off, bunyan: off, winston: off },
    spanProcessors,
    metricReaders,
  });
  return {
    tracer: trace.getTracer(INSTRUMENTATION_SCOPE),
    meter: metrics.getMeter(INSTRUMENTATION_SCOPE),
    async shutdown() {
      await shutdownAzureMonitor();
    },
  };
}
