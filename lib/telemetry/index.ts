/**
 * The kit's telemetry: OpenTelemetry traces and metrics, to Application
 * Insights (the Azure Monitor distro) in Azure, to an OTLP endpoint or the
 * console locally, off by default.
 *
 * This module loads nothing of OpenTelemetry. {@link startTelemetry} loads
 * the runtime (runtime.ts) asynchronously when the settings turn telemetry
 * on; until then, and for good when they do not, every instrumentation call
 * (instrument.ts) is a check of one variable and a direct call of the code it
 * wraps: no span objects, no attribute maps.
 */
import type { TelemetrySettings } from "../config.js";
import type { Logger } from "../log.js";
import { runtimeState, type RuntimeExtras } from "./state.js";

export {
  countSharedCacheEvent,
  currentTraceMeta,
  inTraceContext,
  markCachedValidation,
  traceDownstreamFetch,
  traceFacadeStep,
  traceMcpMessage,
  traceMcpRequests,
  traceOboExchange,
  traceSecretFetches,
  traceTokenValidation,
  tracedFetch,
  type TraceMeta,
} from "./instrument.js";
export type { RuntimeExtras } from "./state.js";

/**
 * Turns telemetry on as `settings` say, in the background: returns at once,
 * and the returned promise settles when the runtime is loaded (requests that
 * arrive meanwhile are served untraced). A runtime
 * that fails to load is logged once and telemetry stays off. Call once per
 * process; a second call is ignored.
 *
 * `extras` adds span processors and metric readers (tests, custom
 * exporters); with them, telemetry runs even when `settings` say off.
 *
 * @example
 * void startTelemetry(config.telemetry, log);
 */
export function startTelemetry(settings: TelemetrySettings, log: Logger, extras: RuntimeExtras = {}): Promise<void> {
  if (runtimeState.loading !== undefined) return runtimeState.loading;
  const wanted = settings.exporter !== "off" || (extras.spanProcessors?.length ?? 0) > 0 || (extras.metricReaders?.length ?? 0) > 0;
  if (!wanted) return Promise.resolve();
  runtimeState.loading = import("./runtime.js")
    .then((module) => module.createRuntime(settings, extras))
    .then(
      (runtime) => {
        runtimeState.active = runtime;
        log.info("telemetry.started", { exporter: settings.exporter });
      },
      (error: unknown) => {
        log.warn("telemetry.failed_to_start", { exporter: settings.exporter, error });
      },
    );
  return runtimeState.loading;
}

/** Whether the runtime is loaded and recording. */
export function telemetryActive(): boolean {
  return runtimeState.active !== undefined;
}

/** Exports what is buffered and stops; for the end of the process (SIGTERM, the Functions host's appTerminate hook). */
export async function stopTelemetry(): Promise<void> {
  await runtimeState.loading;
  const runtime = runtimeState.active;
  runtimeState.active = undefined;
  await runtime?.shutdown();
}
