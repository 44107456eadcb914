"""Apache Kafka in KRaft combined mode, run on the local JDK from its Maven Central jars."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import subprocess
import uuid
from importlib import resources
from pathlib import Path

from workflows.probes import kafka_probe
from workflows.services.base import (
    ServiceError,
    ServiceStatus,
    pid_alive,
    port_open,
    port_taken_error,
    read_pid,
    spawn,
    stop_pid,
    wait_until,
)
from workflows.settings import Settings

_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""


class Kafka:
    name = "kafka"

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.home = settings.services_home / "kafka"
        # The folder name carries a digest of the pom, so a changed dependency list resolves afresh.
        self.pom = resources.files("workflows.services").joinpath("kafka-pom.xml").read_bytes()
        digest = hashlib.sha256(self.pom).hexdigest()[:10]
        self.libs = settings.services_cache / f"kafka-{settings.kafka_version}-{digest}" / "libs"
        self.pidfile = self.home / "kafka.pid"
        self.log = self.home / "kafka.out"

    def _pid(self) -> int | None:
        return read_pid(self.pidfile, expect="kafka.Kafka")

    def address(self) -> str:
        return f"127.0.0.1:{self.s.kafka_port}"

    def _healthy(self) -> bool:
        ok, _ = asyncio.run(kafka_probe(self.address()))
        return ok

    def status(self) -> ServiceStatus:
        pid = self._pid()
        healthy = self._healthy()
        detail = "answers ApiVersions" if healthy else ("starting or unhealthy" if pid else "not running")
        return ServiceStatus(self.name, self.address(), healthy, pid is not None, pid, detail)

    def up(self) -> ServiceStatus:
        pid = self._pid()
        if self._healthy():
            return self.status()
        if pid is None:
            for port, setting in (
                (self.s.kafka_port, "WORKFLOWS_KAFKA_PORT"),
                (self.s.kafka_controller_port, "WORKFLOWS_KAFKA_CONTROLLER_PORT"),
            ):
                if port_open(port):
                    raise port_taken_error("Kafka", port, setting)
            self._ensure_jars()
            config = self._write_config()
            self._format_storage(config)
            java = shutil.which("java")
            if java is None:
                raise ServiceError("Kafka needs a JDK 17+ on PATH (java not found)")
            argv = [
                java,
                f"-Xmx{self.s.kafka_heap}",
                f"-Xms{self.s.kafka_heap}",
                "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                "-Dkafka.logs.dir=" + str(self.home / "logs"),
                "-cp",
                f"{self.libs}/*",
                "kafka.Kafka",
                str(config),
            ]
            pid = spawn(argv, log=self.log, pidfile=self.pidfile)
        started = pid
        wait_until(
            self._healthy,
            timeout=90,
            what=f"Kafka (pid {started}, log {self.log})",
            # The spawned pid itself: right after fork its command line is still ours, not the service's.
            alive=lambda: pid_alive(started),
        )
        return self.status()

    def down(self) -> str:
        pid = self._pid()
        if pid is None:
            return "not started by us"
        stop_pid(pid, timeout=60)
        self.pidfile.unlink(missing_ok=True)
        return f"stopped pid {pid}"

    def _ensure_jars(self) -> None:
        marker = self.libs / ".complete"
        if marker.exists():
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ServiceError("Kafka's jars are resolved with Maven once; install Maven (mvn) and retry")
        self.libs.mkdir(parents=True, exist_ok=True)
        pom = self.libs.parent / "pom.xml"
        pom.write_bytes(self.pom)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            f"-Dkafka.version={self.s.kafka_version}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={self.libs}",
            "-DincludeScope=runtime",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise ServiceError(
                f"resolving Kafka {self.s.kafka_version} with Maven failed:\n{done.stdout[-2000:]}"
            )
        marker.write_text("ok\n")

    def _write_config(self) -> Path:
        data = self.home / "data"
        data.mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(_LOG4J2.format(log=self.home / "server.log"))
        p = self.s.kafka_port
        c = self.s.kafka_controller_port
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{c}",
            "listeners": f"PLAINTEXT://127.0.0.1:{p},CONTROLLER://127.0.0.1:{c}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{p}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(data),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # One broker on a developer machine: no reason to wait for more members before rebalancing.
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        config = self.home / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        return config

    def _format_storage(self, config: Path) -> None:
        if (self.home / "data" / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        java = shutil.which("java") or "java"
        cmd = [
            java,
            "-cp",
            f"{self.libs}/*",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(config),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise ServiceError(
                f"formatting Kafka storage failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
