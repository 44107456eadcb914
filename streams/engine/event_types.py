"""Every event type and outbound subject the engine knows, in one place.

Inbound types equal the NATS subjects of the platform; internal types are put on the same Kafka topic by the
worker (timers, action results) and by the API (manual and webhook triggers, cancellations, schedule ticks).
Any other type is still a valid event: it can match an ``event`` trigger or a goal by its type.
"""

from __future__ import annotations

from typing import Final

# Inbound platform events (NATS subjects).
CONTACT_CREATED: Final = "contact.created"
CONTACT_UPDATED: Final = "contact.updated"
SEGMENT_MEMBER_ADDED: Final = "segment.member.added"
SEGMENT_MEMBER_REMOVED: Final = "segment.member.removed"
MESSAGE_OPENED: Final = "pipeline.message.opened"
MESSAGE_CLICKED: Final = "pipeline.message.clicked"
# The spec's "form submissions".
FORM_SUBMITTED: Final = "form.submitted"
# What the platform already knows of a contact (profile, tags, segment memberships), sent by the contacts
# module on deploy or nightly and by `workflows contacts import`: it sets the profile and starts nothing
# (no trigger, no goal, no segment enrolment), so contacts are known before their first event.
CONTACT_SNAPSHOT: Final = "contact.snapshot"
# Custom events: a message on ``events.<type>`` is the event type ``<type>`` (``events.order.placed`` is
# ``order.placed``). One namespace keeps custom types apart from the platform's subjects and ACLs.
CUSTOM_SUBJECT_PREFIX: Final = "events."
CUSTOM_SUBJECTS: Final = CUSTOM_SUBJECT_PREFIX + ">"

# The spec's goal example uses this name; the contacts module publishes contact.updated, so a trigger or a
# goal on contact.attribute_changed also matches contact.updated.
CONTACT_ATTRIBUTE_CHANGED: Final = "contact.attribute_changed"
# A trigger or goal on the key also listens to these types (they carry the same fact).
DELIVERED_AS: Final[dict[str, frozenset[str]]] = {
    CONTACT_ATTRIBUTE_CHANGED: frozenset({CONTACT_ATTRIBUTE_CHANGED, CONTACT_UPDATED}),
}

# Internal events (worker, executor, API).
TIMER_FIRED: Final = "workflow.timer.fired"
ACTION_COMPLETED: Final = "workflow.action.completed"
ACTION_FAILED: Final = "workflow.action.failed"
RUN_CANCEL_REQUESTED: Final = "workflow.run.cancel_requested"
TRIGGER_MANUAL: Final = "workflow.trigger.manual"
TRIGGER_WEBHOOK: Final = "workflow.trigger.webhook"
SCHEDULE_TICK: Final = "workflow.schedule.tick"
# Backfill: data {workflowId, event: <a retained platform envelope>} re-offers an old event to one workflow.
TRIGGER_REPLAY: Final = "workflow.trigger.replay"
# The worker's stale-run detector: data {runId, reason, overdueMs}; the engine fails the run if still stale.
RUN_STALE_DETECTED: Final = "workflow.run.stale_detected"
# Erasure (the API's DELETE /contacts/{id}): cancels the contact's runs and deletes its worker state.
CONTACT_ERASE_REQUESTED: Final = "workflow.contact.erase_requested"

PLATFORM_EVENT_TYPES: Final = frozenset(
    {
        CONTACT_CREATED,
        CONTACT_UPDATED,
        SEGMENT_MEMBER_ADDED,
        SEGMENT_MEMBER_REMOVED,
        MESSAGE_OPENED,
        MESSAGE_CLICKED,
        FORM_SUBMITTED,
        CONTACT_SNAPSHOT,
    }
)
# The NATS subjects the bridge subscribes to unless configured otherwise (WORKFLOWS_BRIDGE_SUBJECTS).
DEFAULT_INBOUND_SUBJECTS: Final = (
    CONTACT_CREATED,
    CONTACT_UPDATED,
    SEGMENT_MEMBER_ADDED,
    SEGMENT_MEMBER_REMOVED,
    MESSAGE_OPENED,
    MESSAGE_CLICKED,
    FORM_SUBMITTED,
    CONTACT_SNAPSHOT,
    CUSTOM_SUBJECTS,
)
INTERNAL_EVENT_TYPES: Final = frozenset(
    {
        TIMER_FIRED,
        ACTION_COMPLETED,
        ACTION_FAILED,
        RUN_CANCEL_REQUESTED,
        TRIGGER_MANUAL,
        TRIGGER_WEBHOOK,
        SCHEDULE_TICK,
        TRIGGER_REPLAY,
        CONTACT_ERASE_REQUESTED,
        RUN_STALE_DETECTED,
    }
)
# Internal events addressed to one workflow by data.workflowId.
TARGETED_TRIGGER_TYPES: Final = frozenset({TRIGGER_MANUAL, TRIGGER_WEBHOOK, SCHEDULE_TICK})

# Outbound run lifecycle subjects (the spec's published events).
RUN_STARTED: Final = "workflow.run.started"
RUN_COMPLETED: Final = "workflow.run.completed"
RUN_FAILED: Final = "workflow.run.failed"
RUN_GOAL_REACHED: Final = "workflow.run.goal_reached"
RUN_CANCELLED: Final = "workflow.run.cancelled"
# A run ended by its workflow's exit criteria (settings.exitWhen, e.g. an unsubscribe): not a goal.
RUN_EXITED: Final = "workflow.run.exited"
NODE_EXECUTED: Final = "workflow.node.executed"
# An enrolment refused by a re-entry cap: no run started (data: workflowId, version, reason, limit,
# activeRuns, triggerEvent {id, type}). The read side counts these per workflow (skippedEnrolments).
RUN_ENROLMENT_SKIPPED: Final = "workflow.run.enrolment_skipped"
# Published once a contact's worker state is gone (data: {"runsCancelled": n}).
CONTACT_ERASED: Final = "workflow.contact.erased"

# Outbound commands for other modules.
MESSAGE_SEND: Final = "pipeline.message.send"
CONTACT_COMMAND_UPDATE: Final = "contact.command.update"
CONTACT_COMMAND_ADD_TAG: Final = "contact.command.add_tag"
CONTACT_COMMAND_REMOVE_TAG: Final = "contact.command.remove_tag"
SEGMENT_COMMAND_ADD_MEMBER: Final = "segment.command.add_member"
SEGMENT_COMMAND_REMOVE_MEMBER: Final = "segment.command.remove_member"

# Timer kinds (ScheduleTimer.timer_kind, TimerFired data.kind).
TIMER_DELAY: Final = "delay"
TIMER_WAIT_UNTIL: Final = "wait_until"
TIMER_ACTION_TIMEOUT: Final = "action_timeout"
TIMER_SCHEDULE: Final = "schedule"
# wait_for_event: the run waits for an event (offered every event) until this timer, its timeout, fires.
TIMER_EVENT_WAIT: Final = "event_wait"
# A message node reached outside its send window: sent when this timer fires.
TIMER_SEND_WINDOW: Final = "send_window"
# A message node over a frequency cap with frequencyCap "wait": checked again when this timer fires.
TIMER_FREQUENCY_CAP: Final = "frequency_cap"
# run_workflow with wait: the parent waits for its child run; the child's end resumes it in the same step.
# This timer is only a horizon: when it fires while the child still runs, the parent waits again.
TIMER_SUBWORKFLOW: Final = "subworkflow"
TIMER_KINDS: Final = frozenset(
    {
        TIMER_DELAY,
        TIMER_WAIT_UNTIL,
        TIMER_ACTION_TIMEOUT,
        TIMER_SCHEDULE,
        TIMER_EVENT_WAIT,
        TIMER_SEND_WINDOW,
        TIMER_FREQUENCY_CAP,
        TIMER_SUBWORKFLOW,
    }
)
