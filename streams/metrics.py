"""Prometheus metrics of one worker, in their own registry (several apps may live in one test process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.events = Counter("workflows_events_processed", "Events applied by the worker", registry=r)
        self.records = Counter("workflows_records_processed", "workflows.events records consumed", registry=r)
        self.dead = Counter("workflows_events_dead_lettered", "Records or events sent to the DLQ", registry=r)
        self.runs = Counter("workflows_runs", "Run lifecycle events emitted", ["status"], registry=r)
        self.runs_active = Gauge(
            "workflows_runs_active",
            "Active runs at the last scan, by what they wait on",
            ["waiting"],
            registry=r,
        )
        self.timers_pending = Gauge("workflows_timers_pending", "Timer keys at the last scan", registry=r)
        self.timers_due = Gauge(
            "workflows_timers_due", "Due timer keys not yet consumed (last tick)", registry=r
        )
        self.timers_overdue = Gauge(
            "workflows_timers_max_overdue_seconds", "Age of the oldest due timer key (last tick)", registry=r
        )
        self.timer_lateness = Histogram(
            "workflows_timer_lateness_seconds",
            "Due time to firing applied",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.timers_fired = Counter("workflows_timers_fired", "TimerFired envelopes produced", registry=r)
        self.partitions = Gauge(
            "workflows_partitions_owned", "workflows.events partitions this worker processes now", registry=r
        )
        self.lag = Gauge(
            "workflows_consumer_lag", "Records behind the high watermark", ["partition"], registry=r
        )
        self.step = Histogram(
            "workflows_step_seconds",
            "Engine time per event (unit mean)",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.unit = Histogram(
            "workflows_unit_seconds", "Commit unit: decode to durable", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.age = Histogram(
            "workflows_event_age_seconds", "Record timestamp to durable", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.definitions = Gauge("workflows_definitions_loaded", "Workflow versions loaded", registry=r)
        self.definitions_position = Gauge(
            "workflows_definitions_position",
            "Offset after the last definitions record applied (compare with the topic's end offset)",
            registry=r,
        )
        self.actions = Counter("workflows_actions", "HTTP actions by outcome", ["outcome"], registry=r)
        self.actions_pending = Gauge(
            "workflows_actions_pending",
            "Pending HTTP action keys of owned partitions (last sweep)",
            registry=r,
        )
        self.stale = Counter("workflows_stale_runs_detected", "Stale runs reported for failing", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
