"""The pure workflow engine: definitions, validation, conditions, and the step function.

No clock, no randomness, no I/O: ``now`` comes from the caller, identities are derived from inputs, and
effects describe what the adapters must do. See ``step`` for the entry point.
"""

from streams.engine import event_types
from streams.engine.budget import fit_state
from streams.engine.compiler import compile_definition
from streams.engine.conditions import Scope, compile_condition
from streams.engine.cron import CronError, CronSchedule, next_fire
from streams.engine.effects import (
    AddTag,
    AddToSegment,
    CallWebhook,
    CancelTimer,
    ContactErased,
    Effect,
    EmitRunEvent,
    EnrolmentSkipped,
    RemoveFromSegment,
    RemoveTag,
    ScheduleTimer,
    SendMessage,
    SendSlack,
    UpdateContact,
)
from streams.engine.errors import DefinitionError, EngineError, EventError, StateError
from streams.engine.events import Event
from streams.engine.ids import run_id_for
from streams.engine.index import DefinitionIndex
from streams.engine.model import Plan, WorkflowDefinition
from streams.engine.simulate import SimulationResult, simulate
from streams.engine.state import ContactState, FinishedRun, Run
from streams.engine.step import Transition, step
from streams.engine.validation import Problem, validate

__all__ = [
    "AddTag",
    "AddToSegment",
    "CallWebhook",
    "CancelTimer",
    "ContactErased",
    "ContactState",
    "CronError",
    "CronSchedule",
    "DefinitionError",
    "DefinitionIndex",
    "Effect",
    "EmitRunEvent",
    "EngineError",
    "EnrolmentSkipped",
    "Event",
    "EventError",
    "FinishedRun",
    "Plan",
    "Problem",
    "RemoveFromSegment",
    "RemoveTag",
    "Run",
    "ScheduleTimer",
    "Scope",
    "SendMessage",
    "SendSlack",
    "SimulationResult",
    "StateError",
    "Transition",
    "UpdateContact",
    "WorkflowDefinition",
    "compile_condition",
    "compile_definition",
    "event_types",
    "fit_state",
    "next_fire",
    "run_id_for",
    "simulate",
    "step",
    "validate",
]
