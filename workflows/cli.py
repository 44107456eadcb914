"""`workflows`: one command for every process and chore of the product."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from workflows.services.base import ServiceStatus
from workflows.settings import Settings

app = typer.Typer(help="Workflow automation engine on Kafka.", no_args_is_help=True, add_completion=False)
services_app = typer.Typer(
    help="Native Kafka, PostgreSQL and NATS for development and tests.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
projections_app = typer.Typer(
    help="The API's read models (runs, steps, schedules, stats).", no_args_is_help=True
)
contacts_app = typer.Typer(help="Contacts known before their first event.", no_args_is_help=True)
app.add_typer(services_app, name="services")
app.add_typer(contacts_app, name="contacts")
app.add_typer(db_app, name="db")
app.add_typer(projections_app, name="projections")
console = Console()


def _settings() -> Settings:
    return Settings()


def _safe_settings(command: str, *, development_only: bool = False) -> Settings:
    """Settings for a command that starts a process or mints a credential: production mode refuses unsafe
    ones here, before anything starts, naming each problem and the variable that fixes it."""
    from streams.worker_settings import WorkerSettings
    from workflows import production

    settings = _settings()
    allow_hosts = WorkerSettings().executor_allow_hosts
    problems = production.production_problems(settings, executor_allow_hosts=allow_hosts)
    if development_only:
        problems = production.development_only(settings, f"`workflows {command}`") + problems
    if problems:
        lines = [
            f"error: refusing to run `workflows {command}` in production mode (WORKFLOWS_ENV=production):"
        ]
        lines += [f"  - {problem}" for problem in problems]
        lines.append("On a development machine, set WORKFLOWS_ENV=development.")
        typer.echo("\n".join(lines), err=True)
        raise typer.Exit(1)
    return settings


@services_app.command("up")
def services_up() -> None:
    """Start Kafka, PostgreSQL and NATS (reusing any that already run) and wait until healthy."""
    from workflows import services

    try:
        rows = services.up(_settings())
    except services.ServiceError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    _print_status(rows)


@services_app.command("down")
def services_down() -> None:
    """Stop the services that `services up` started (and nothing else)."""
    from workflows import services

    for name, outcome in services.down(_settings()):
        console.print(f"{name}: {outcome}")


@services_app.command("status")
def services_status() -> None:
    """Print each service, its address and health; exit 1 if any is unhealthy."""
    from workflows import services

    rows = services.status(_settings())
    _print_status(rows)
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


def _print_status(rows: list[ServiceStatus]) -> None:
    table = Table("service", "address", "health", "started by", "pid", "detail")
    for r in rows:
        table.add_row(
            r.name,
            r.address,
            "[green]healthy[/green]" if r.healthy else "[red]down[/red]",
            "services up" if r.owned else "external",
            str(r.pid or "-"),
            r.detail,
        )
    console.print(table)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the Alembic migrations to the configured database."""
    from api.db.migrate import upgrade

    upgrade(_settings(), revision=revision)
    console.print(f"database upgraded to {revision}")


@projections_app.command("rebuild")
def projections_rebuild() -> None:
    """Drop the read models and project workflows.out again from its first retained record."""
    import asyncio

    from rich.progress import Progress

    from api.db.engine import create_engine
    from api.projector.rebuild import RebuildSummary, rebuild

    settings = _settings()

    async def _run(progress: Progress) -> RebuildSummary:
        task = progress.add_task(f"projecting {settings.out_topic}", total=None)
        engine = create_engine(settings)
        try:
            return await rebuild(settings, engine, progress=lambda n: progress.update(task, completed=n))
        finally:
            await engine.dispose()

    with Progress(console=console) as progress:
        summary = asyncio.run(_run(progress))
    table = Table("read model", "rows")
    for name, count in summary.rows.items():
        table.add_row(name, str(count))
    console.print(table)
    console.print(f"records projected: {summary.records}")


@app.command()
def token(
    tenant: Annotated[str, typer.Option(help="tenantId claim")],
    user: Annotated[
        str, typer.Option(help="sub claim (the acting user id)")
    ] = "00000000-0000-0000-0000-000000000001",
    ttl: Annotated[int, typer.Option(help="lifetime in seconds")] = 24 * 3600,
) -> None:
    """Mint a development JWT for a tenant, signed with WORKFLOWS_JWT_SECRET."""
    from api.auth import mint_token

    settings = _safe_settings("token", development_only=True)
    typer.echo(mint_token(settings, tenant_id=tenant, user_id=user, ttl_seconds=ttl))


@app.command()
def openapi(
    out: Annotated[Path | None, typer.Option(help="write to this file (default: standard output)")] = None,
) -> None:
    """Print the API's OpenAPI document (what web/openapi.json holds; `npm run gen:api` types it)."""
    import json

    from api.app import create_app

    document = json.dumps(create_app(_settings()).openapi()) + "\n"
    if out is None:
        sys.stdout.write(document)
    else:
        out.write_text(document, encoding="utf-8")


@app.command()
def api() -> None:
    """Run the FastAPI sidecar."""
    from api.main import serve

    serve(_safe_settings("api"))


@app.command()
def worker() -> None:
    """Run a streams worker (joins the consumer group; run several to share partitions)."""
    from streams.main import run_worker

    run_worker(_safe_settings("worker"))


@app.command()
def bridge() -> None:
    """Run the NATS JetStream <-> Kafka bridge."""
    from bridge.main import run_bridge

    run_bridge(_safe_settings("bridge"))


@app.command()
def run(
    workers: Annotated[
        int | None,
        typer.Option(help="number of streams worker processes in one group (default: the number of cores)"),
    ] = None,
) -> None:
    """Run the whole product: services up, migrations, bridge + worker(s) + API, until Ctrl-C."""
    from workflows.stack import run_stack

    settings = _safe_settings("run")
    count = workers if workers is not None else max(1, os.cpu_count() or 1)
    sys.exit(run_stack(settings, workers=count, console=console, cwd=Path.cwd()))


@app.command()
def publish(
    event_type: Annotated[
        str,
        typer.Argument(help="platform subject, e.g. contact.created, or events.<type> for a custom event"),
    ],
    tenant: Annotated[str, typer.Option(help="tenantId")],
    contact: Annotated[str, typer.Option(help="contactId")],
    data: Annotated[str, typer.Option(help="the event's data as JSON")] = "{}",
    event_id: Annotated[str | None, typer.Option("--id", help="event id (default: a new uuid)")] = None,
    subject_prefix: Annotated[
        str, typer.Option(envvar="WORKFLOWS_BRIDGE_SUBJECT_PREFIX", help="prefix the bridge listens with")
    ] = "",
) -> None:
    """Publish one platform event to NATS JetStream, as the contacts or segments module would."""
    import asyncio

    import nats
    import orjson
    from nats.js.errors import NoStreamResponseError

    from workflows.wire import NATS_MSG_ID_HEADER, envelope

    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise typer.BadParameter(f"--data is not JSON: {exc}") from exc
    from workflows.subjects import event_type_of

    # The subject as given; the envelope's type is what the bridge derives from it (events.x.y is x.y).
    message = envelope(
        event_type_of(event_type), tenant_id=tenant, contact_id=contact, data=payload, event_id=event_id
    )

    async def _publish() -> int:
        nc = await nats.connect(_settings().nats_url)
        try:
            subject = f"{subject_prefix}{event_type}"
            try:
                ack = await nc.jetstream().publish(
                    subject, orjson.dumps(message), headers={NATS_MSG_ID_HEADER: message["id"]}
                )
            except NoStreamResponseError as exc:
                raise typer.BadParameter(
                    f"no JetStream stream captures {subject!r}: start the bridge (it creates the stream)"
                ) from exc
            return int(ack.seq)
        finally:
            await nc.close()

    seq = asyncio.run(_publish())
    typer.echo(f"published {event_type} id={message['id']} (stream sequence {seq})")


@contacts_app.command("import")
def contacts_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JSON Lines, or CSV (.csv)")
    ],
    tenant: Annotated[
        str | None, typer.Option(help="tenantId of every row without a tenantId column or key")
    ] = None,
) -> None:
    """Produce a contact.snapshot per row to workflows.events (profile, tags, segments; starts no run).

    Rows breaking the envelope rules are listed with their line and reason and not sent; the exit code
    is 1 when any row was rejected."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from workflows.contacts_import import ContactsImportError, import_contacts, row_count

    settings = _settings()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"importing into {settings.events_topic}", total=row_count(file))
        try:
            summary = asyncio.run(
                import_contacts(
                    settings, file, tenant=tenant, progress=lambda n: bar.update(task, completed=n)
                )
            )
        except ContactsImportError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    table = Table("imported", "rejected", "records", "elapsed", "events/s")
    table.add_row(
        str(summary.imported),
        str(len(summary.rejected)),
        str(summary.records),
        f"{summary.elapsed_s:.2f}s",
        f"{summary.events_per_s:,.0f}",
    )
    console.print(table)
    for line, reason in summary.rejected[:50]:
        console.print(f"line {line}: {reason}", markup=False, highlight=False)
    if len(summary.rejected) > 50:
        console.print(f"... and {len(summary.rejected) - 50} more rejected rows")
    if summary.rejected:
        raise typer.Exit(1)


def _parse_time(value: str) -> int:
    """ISO-8601 (a naive time is UTC) or epoch milliseconds."""
    from datetime import UTC, datetime

    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is neither ISO-8601 nor epoch milliseconds") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


@app.command()
def replay(
    from_: Annotated[str, typer.Option("--from", help="window start: ISO-8601 or epoch ms")],
    to: Annotated[str | None, typer.Option(help="window end (exclusive); default: now")] = None,
    tenant: Annotated[str | None, typer.Option(help="only this tenant's workflows")] = None,
    workflow: Annotated[str | None, typer.Option(help="only this workflow")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count the runs that would start")] = False,
) -> None:
    """Offer retained events to newly activated workflows (backfill); never enrols a contact twice."""
    import asyncio

    from rich.progress import Progress

    from workflows.replay import ReplayRequest
    from workflows.replay import replay as run_replay

    request = ReplayRequest(
        from_ms=_parse_time(from_),
        to_ms=_parse_time(to) if to else None,
        tenant=tenant,
        workflow=workflow,
        dry_run=dry_run,
    )
    with Progress(console=console, transient=False) as bar:
        task = bar.add_task("reading workflows.events", total=None)
        summary = asyncio.run(
            run_replay(
                _settings(),
                request,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        )
    from streams.engine.timeutil import format_iso

    table = Table("workflow", "activated at", "would start" if dry_run else "offered")
    for workflow_id, activated_at in sorted(summary.targets.items()):
        count = summary.would_start[workflow_id] if dry_run else summary.offered[workflow_id]
        table.add_row(workflow_id, format_iso(activated_at), str(count))
    console.print(table)
    console.print(
        f"records read: {summary.records}, platform events: {summary.events}, "
        f"undecodable: {summary.undecodable}" + (" (dry run: nothing produced)" if dry_run else "")
    )
    if not summary.targets:
        console.print("no active workflow matched --tenant/--workflow: nothing to replay")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
