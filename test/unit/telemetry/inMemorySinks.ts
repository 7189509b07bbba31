/** Real OpenTelemetry SDK providers wired to in-memory exporters, so tests read exactly what would ship. */
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

export function inMemorySinks() {
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(logExporter)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: metrics are exported only when the test flushes.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });

  return {
    loggerProvider,
    meterProvider,
    logRecords: () => logExporter.getFinishedLogRecords(),
    async metrics(): Promise<Map<string, MetricData>> {
      await reader.forceFlush();
      const byName = new Map<string, MetricData>();
      for (const resource of metricExporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) for (const m of scope.metrics) byName.set(m.descriptor.name, m);
      }
      return byName;
    },
    async shutdown() {
      await Promise.all([loggerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

/** Sum of a counter's data points that match the given attributes. */
export function counterValue(metric: MetricData | undefined, attributes: Record<string, string> = {}): number {
  if (!metric || metric.dataPointType !== DataPointType.SUM) return 0;
  return metric.dataPoints
    .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0);
}

/** Count, sum and attributes of each histogram data point. */
export function histogramPoints(metric: MetricData | undefined) {
  if (!metric || metric.dataPointType !== DataPointType.HISTOGRAM) return [];
  return metric.dataPoints.map((p) => ({ count: p.value.count, sum: p.value.sum, attributes: p.attributes }));
}
