"""SQLAlchemy models of the spec's tables, the outbox and the stats counters (schema lives in migrations).

Relationships are ``lazy="raise"``: a query says what it loads, so no request issues hidden queries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import ENUM, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

WORKFLOW_STATUSES = ("draft", "active", "paused", "archived")
RUN_STATUSES = ("running", "completed", "failed", "goal_reached", "cancelled", "exited")
STEP_STATUSES = ("pending", "running", "completed", "failed", "skipped")

workflow_status = ENUM(*WORKFLOW_STATUSES, name="workflow_status", create_type=False)
run_status = ENUM(*RUN_STATUSES, name="workflow_run_status", create_type=False)
step_status = ENUM(*STEP_STATUSES, name="workflow_step_status", create_type=False)


class Base(DeclarativeBase):
    pass


class Workflow(Base):
    __tablename__ = "workflows"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(workflow_status, default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    nodes: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    edges: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    goals: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # sha256 hex of the webhook trigger token: the token itself is shown once and never stored.
    webhook_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    versions: Mapped[list[WorkflowVersion]] = relationship(lazy="raise", back_populates="workflow")

    @property
    def webhook_token(self) -> str | None:
        """The plaintext token, only in the request that issued it (so that answer can show it once)."""
        issued: str | None = self.__dict__.get("_issued_webhook_token")
        return issued

    @webhook_token.setter
    def webhook_token(self, token: str | None) -> None:
        # Not a mapped column: SQLAlchemy never sees it, so it can never reach the database.
        self.__dict__["_issued_webhook_token"] = token

    @property
    def has_webhook_token(self) -> bool:
        return self.webhook_token_hash is not None


class WorkflowVersion(Base):
    __tablename__ = "workflow_versions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"))
    version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    nodes: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    edges: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    goals: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    changelog: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # The token's `sub` as given (None for versions written before it was recorded).
    author: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    workflow: Mapped[Workflow] = relationship(lazy="raise", back_populates="versions")


class WorkflowRun(Base):
    __tablename__ = "workflow_runs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String)
    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"))
    workflow_version: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(run_status, default="running")
    current_node_id: Mapped[str | None] = mapped_column(String(100))
    trigger_event: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    goal_reached_id: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Engine time of the last projected event: an older snapshot never overwrites a newer one.
    last_event_at: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkflowRunStep(Base):
    __tablename__ = "workflow_run_steps"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_runs.id"))
    node_id: Mapped[str] = mapped_column(String(100))
    node_type: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(step_status, default="pending")
    input: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    output: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visit: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(Integer, default=0)


class WorkflowSchedule(Base):
    __tablename__ = "workflow_schedules"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String)
    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"))
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_runs.id"))
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_run_steps.id"))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Outbox(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(255))
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The tenant whose change wrote the row (None for rows from before it was recorded).
    tenant_id: Mapped[str | None] = mapped_column(String)
    # A record the broker refuses (too large) is never retried: the row is marked failed with the reason.
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class WorkflowRunCounters(Base):
    """Run counters per workflow, maintained by the projector from run status transitions."""

    __tablename__ = "workflow_run_counters"

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"), primary_key=True)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    running: Mapped[int] = mapped_column(BigInteger, default=0)
    completed: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    goal_reached: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled: Mapped[int] = mapped_column(BigInteger, default=0)
    # Runs settings.exitWhen ended (status exited): neither completed nor a goal.
    exited: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    finished: Mapped[int] = mapped_column(BigInteger, default=0)
    # Enrolments a re-entry cap refused (counted from workflow_enrolment_skips).
    skipped_enrolments: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkflowNodeCounters(Base):
    __tablename__ = "workflow_node_counters"

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    executed: Mapped[int] = mapped_column(BigInteger, default=0)
    succeeded: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    waiting: Mapped[int] = mapped_column(BigInteger, default=0)
    # Steps whose run ended while they waited (a goal, a cancel): the node's work was bypassed.
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkflowEnrolmentSkip(Base):
    """One enrolment a re-entry cap refused, keyed by the record's idempotency key (counted once)."""

    __tablename__ = "workflow_enrolment_skips"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String)
    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"))
    workflow_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProjectorDeadLetter(Base):
    """A ``workflows.out`` record the projector could not store, with why; later records went on."""

    __tablename__ = "projector_dead_letters"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(255))
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EventTypeStats(Base):
    """How often the bridge saw an event type of a tenant, and when last (from workflows.observations)."""

    __tablename__ = "event_type_stats"

    tenant_id: Mapped[str] = mapped_column(String, primary_key=True)
    type: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProjectorOffset(Base):
    """The next offset a reader applies of a topic partition, committed with what it applied."""

    __tablename__ = "projector_offsets"

    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_offset: Mapped[int] = mapped_column(BigInteger, default=0)


class TenantPolicy(Base):
    """A tenant's policy document by name (``frequency-caps``), as the API last stored and published it."""

    __tablename__ = "tenant_policies"

    tenant_id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(String)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# -- analytics read models: per workflow and version, on stable node ids ---------------------------------
class WorkflowVersionNodeStats(Base):
    """Per node of a version: step visits by status, message sends and those sent in the contact's night."""

    __tablename__ = "workflow_version_node_stats"

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    entered: Mapped[int] = mapped_column(BigInteger, default=0)
    completed: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)
    waiting: Mapped[int] = mapped_column(BigInteger, default=0)
    sends: Mapped[int] = mapped_column(BigInteger, default=0)
    night_sends: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkflowEdgeStats(Base):
    """Runs that went from one node to the next (consecutive steps), with the branch taken ('' if none)."""

    __tablename__ = "workflow_edge_stats"

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    target: Mapped[str] = mapped_column(String(100), primary_key=True)
    branch: Mapped[str] = mapped_column(String(100), primary_key=True)
    runs: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkflowSplitStats(Base):
    """Runs a split sent down each variant, and how many of them ended by reaching a goal."""

    __tablename__ = "workflow_split_stats"

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    variant: Mapped[str] = mapped_column(String(100), primary_key=True)
    entered: Mapped[int] = mapped_column(BigInteger, default=0)
    converted: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkflowGoalStats(Base):
    """Runs a goal ended, by the node they were at then ('' for none), and when it last happened."""

    __tablename__ = "workflow_goal_stats"

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    reached: Mapped[int] = mapped_column(BigInteger, default=0)
    last_reached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WorkflowRunBuckets(Base):
    """Runs started (by started_at) and ended by end status (by completed_at), per UTC quarter hour."""

    __tablename__ = "workflow_run_buckets"

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    started: Mapped[int] = mapped_column(BigInteger, default=0)
    completed: Mapped[int] = mapped_column(BigInteger, default=0)
    goal_reached: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled: Mapped[int] = mapped_column(BigInteger, default=0)
    exited: Mapped[int] = mapped_column(BigInteger, default=0)
