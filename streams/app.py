"""`create_app(settings)`: the Faust application, its tables, timers and the worker runtime.

Nothing is built at import time. Faust carries the parts it is good at: the consumer group and partition
assignment, the ``contacts`` table's per-partition RocksDB files, changelog recovery and standbys,
timers and the web server. The web server serves health (``/`` and ``/healthz``) and Prometheus metrics
(``/metrics``) only, on loopback unless ``WORKFLOWS_WORKER_WEB_HOST`` says otherwise: Faust's table views
(any tenant's contact state by key), router, statistics, graph and performance views are switched off by
their settings, so they are never mounted. The hot path is the worker's own: it reads
``workflows.events`` for the partitions Faust assigned (``streams.reader``) and writes the table's stores and
changelog in commit units (``streams.commit``): Faust's per-record stream and per-key table writes cost
too much per event. Faust stays behind this module and ``streams.store`` (``FaustHost``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import faust

from streams.runtime import WorkerRuntime
from streams.store import PartitionStore, RocksPartitionStore
from streams.worker_settings import WorkerSettings
from workflows.settings import Settings

CONTACTS_TABLE = "contacts"


class FaustHost:
    """``streams.host.Host`` on Faust: the one place, with ``streams.store``, that touches Faust's state.

    Private API used here (pinned to faust-streaming 0.15.x, covered by the kill-and-rebuild tests):
    ``app.rebalancing`` and ``app.in_recovery`` (set by the consumer's rebalance listener and the table
    manager before any store moves) and ``app.assignor.assigned_actives()`` (the active partitions of the
    latest assignment; standbys excluded).
    """

    def __init__(self, app: faust.App, store: PartitionStore, changelog_topic: str) -> None:
        self._app = app
        self._store = store
        self._changelog_topic = changelog_topic

    @property
    def store(self) -> PartitionStore:
        return self._store

    @property
    def changelog_topic(self) -> str:
        return self._changelog_topic

    def owned_partitions(self) -> set[int]:
        app: Any = self._app
        if app.rebalancing or getattr(app, "in_recovery", False):
            return set()
        topic = self._changelog_topic
        actives = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
        return actives & self._store.open_partitions()

    def on_revoked(self, hook: Callable[[], Awaitable[None]]) -> None:
        @self._app.on_partitions_revoked.connect  # type: ignore[arg-type]
        async def on_revoked(app: Any, revoked: Any, **_kwargs: Any) -> None:
            # Before Faust closes or hands over any store: the unit in progress finishes, no new one starts.
            await hook()


def create_app(
    settings: Settings, worker_settings: WorkerSettings | None = None
) -> tuple[faust.App, WorkerRuntime]:
    ws = worker_settings or WorkerSettings()
    app = faust.App(
        settings.worker_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        store="rocksdb://",
        datadir=str(settings.worker_data_dir),
        topic_partitions=settings.events_partitions,
        topic_replication_factor=settings.kafka_replication_factor,
        web_port=settings.worker_web_port,
        # web_bind is the listening address (Faust binds every interface by default); web_host only
        # names this worker in its canonical URL.
        web_bind=ws.worker_web_host,
        web_host=ws.worker_web_host,
        web_tables_enabled=False,
        web_router_enabled=False,  # no @table_route here: nothing needs another worker's view
        web_stats_enabled=False,
        web_graph_enabled=False,
        web_metrics_enabled=False,
        # Faust's defaults made a restart after SIGKILL wait out a 111 s session; keep failover quick.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        broker_rebalance_timeout=20.0,
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
    )
    table_types: dict[str, Any] = {"key_type": bytes, "value_type": bytes}  # serializers: the app's raw
    rocksdb = {
        "write_buffer_size": ws.worker_rocksdb_write_buffer_bytes,
        "max_write_buffer_number": ws.worker_rocksdb_write_buffers,
        "block_cache_size": ws.worker_rocksdb_block_cache_bytes,
    }
    contacts = app.Table(
        CONTACTS_TABLE, partitions=settings.events_partitions, options=rocksdb, **table_types
    )
    host = FaustHost(app, RocksPartitionStore(contacts.data), contacts.changelog_topic.get_topic_name())
    runtime = WorkerRuntime(settings, ws, host)

    @app.timer(ws.timer_tick_s, name="timer-pump")  # type: ignore[untyped-decorator]
    async def timer_pump() -> None:
        await runtime.pump_tick()

    @app.timer(ws.stale_scan_interval_s, name="stale-runs")  # type: ignore[untyped-decorator]
    async def stale_runs() -> None:
        await runtime.stale_scan()

    @app.timer(5.0, name="lag")  # type: ignore[untyped-decorator]
    async def lag() -> None:
        runtime.update_lag()

    @app.task  # type: ignore[untyped-decorator]
    async def start_runtime() -> None:
        await runtime.start()

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(runtime.metrics.render(), content_type="text/plain")

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def stop_runtime(app: Any, **_kwargs: Any) -> None:
        await runtime.stop()

    return app, runtime
