/** Every Prometheus metric the Signal processes export, with its type: what dashboards may query. */
export const SIGNAL_METRIC_TYPES = {
  signal_deliveries_total: "counter",
  signal_attempt_duration_seconds: "histogram",
  signal_events_ingested_total: "counter",
  signal_intents_pending: "gauge",
  signal_intents_retrying: "gauge",
  signal_circuit_state: "gauge",
  signal_runner_shards: "gauge",
  http_server_requests_total: "counter"
} as const
