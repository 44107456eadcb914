"""PostgreSQL from the OS packages, in a cluster this project owns (the server refuses to run as root)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from workflows.services.base import ServiceError, ServiceStatus, port_open, port_taken_error, read_pid
from workflows.settings import Settings

_SUPERUSER = "postgres"


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote_ident(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


class Postgres:
    name = "postgres"

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.home = settings.services_home / "postgres"
        self.data = self.home / "data"
        self.sockets = self.home / "run"
        self.log = self.home / "postgres.log"

    def address(self) -> str:
        return f"127.0.0.1:{self.s.postgres_port}"

    def _bin(self, tool: str) -> str:
        if self.s.postgres_bindir is not None:
            return str(self.s.postgres_bindir / tool)
        candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=_version_key)
        if candidates:
            return candidates[-1]
        found = shutil.which(tool)
        if found is None:
            raise ServiceError(
                f"PostgreSQL's {tool} was not found; install the OS package (apt-get install postgresql) "
                "or set WORKFLOWS_POSTGRES_BINDIR"
            )
        return found

    def _as_owner(self, argv: list[str]) -> list[str]:
        # The server refuses to run as root: run the cluster's tools as the `postgres` OS user.
        if os.geteuid() == 0:
            return ["runuser", "-u", _SUPERUSER, "--", *argv]
        return argv

    def _run(self, argv: list[str], *, what: str) -> str:
        done = subprocess.run(self._as_owner(argv), capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise ServiceError(f"{what} failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
        return done.stdout

    def _ready(self) -> bool:
        argv = [self._bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.s.postgres_port), "-t", "2"]
        return subprocess.run(argv, check=False).returncode == 0  # noqa: S603

    def _pid(self) -> int | None:
        return read_pid(self.data / "postmaster.pid", expect="postgres")

    def status(self) -> ServiceStatus:
        pid = self._pid()
        healthy = self._ready()
        detail = "accepting connections" if healthy else "not running"
        return ServiceStatus(self.name, self.address(), healthy, pid is not None, pid, detail)

    def up(self) -> ServiceStatus:
        if self._ready():
            if self._pid() is not None:
                self._ensure_database()
            return self.status()
        if port_open(self.s.postgres_port):
            raise port_taken_error("PostgreSQL", self.s.postgres_port, "WORKFLOWS_POSTGRES_PORT")
        self._init_cluster()
        options = f"-c listen_addresses=127.0.0.1 -p {self.s.postgres_port} -k {self.sockets}"
        self._run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ],
            what="starting PostgreSQL",
        )
        self._ensure_database()
        return self.status()

    def down(self) -> str:
        pid = self._pid()
        if pid is None:
            return "not started by us"
        self._run(
            [self._bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            what="stopping PostgreSQL",
        )
        return f"stopped pid {pid}"

    def _init_cluster(self) -> None:
        for folder in (self.home, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.home, _SUPERUSER, _SUPERUSER)
            shutil.chown(self.sockets, _SUPERUSER, _SUPERUSER)
        if (self.data / "PG_VERSION").exists():
            return
        self._run(
            [
                self._bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                _SUPERUSER,
                "-E",
                "UTF8",
                "--auth-local=trust",  # the superuser only over the owner's unix socket
                "--auth-host=scram-sha-256",
            ],
            what="initdb",
        )
        # Development tuning: the cluster is disposable; durability of the last commit on power loss is not.
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )

    def _psql(self, sql: str, *, database: str = "postgres") -> str:
        argv = [self._bin("psql"), "-h", str(self.sockets), "-p", str(self.s.postgres_port), "-U", _SUPERUSER]
        return self._run([*argv, "-d", database, "-tAc", sql], what=f"psql ({sql[:40]}...)")

    def _ensure_database(self) -> None:
        user = self.s.postgres_user
        password = self.s.postgres_password.get_secret_value()
        # psql takes no bind parameters on the command line; every value below goes through a quoting helper.
        role = self._psql(f"SELECT 1 FROM pg_roles WHERE rolname = {_quote_literal(user)}")  # noqa: S608
        if not role.strip():
            self._psql(f"CREATE ROLE {_quote_ident(user)} LOGIN PASSWORD {_quote_literal(password)} CREATEDB")
        for db in (self.s.postgres_db, f"{self.s.postgres_db}_test"):
            found = self._psql(f"SELECT 1 FROM pg_database WHERE datname = {_quote_literal(db)}")  # noqa: S608
            if not found.strip():
                self._psql(f"CREATE DATABASE {_quote_ident(db)} OWNER {_quote_ident(user)}")


def _version_key(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0
