/** Every Prometheus metric the Signal processes export, with its type: what dashboards may query. */
export const SIGNAL_METRIC_TYPES = {
  signal_deliveries_total: "counter",
  signal_attempt_duration_seconds: "histogram",
  signal_events_ingested_total: "counter",
  signal_intents_pending: "gauge",
  signal_intents_retrying: "gauge",
  signal_circuit_state: "gauge",
  signal_runner_shards: "gauge",
  http_server_requests_total: "counter",
  process_cpu_seconds_total: "counter",
  process_resident_memory_bytes: "gauge",
  nodejs_heap_size_used_bytes: "gauge",
  nodejs_eventloop_lag_p50_seconds: "gauge",
  nodejs_eventloop_lag_p99_seconds: "gauge",
  nodejs_eventloop_lag_max_seconds: "gauge"
} as const
