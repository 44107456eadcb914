"""Every size and count cap of the engine, in one place.

A definition that breaks a cap fails validation (with a JSON path and a stable code), so one tenant's
oversized workflow is refused at the API instead of slowing every event of the worker. Sizes are measured as
compact JSON in UTF-8, which is what the API receives and the outbox publishes.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT",
    "MAX_ACTION_TIMEOUT_MS",
    "MAX_ACTIVE_RUNS",
    "MAX_CONDITIONS",
    "MAX_CONDITION_DEPTH",
    "MAX_DEFINITION_BYTES",
    "MAX_DELAY_SECONDS",
    "MAX_GOALS",
    "MAX_GOAL_CONDITIONS",
    "MAX_KEPT_RESPONSE_BYTES",
    "MAX_NODES",
    "MAX_NODE_DATA_BYTES",
    "MAX_TIMEOUT_MS",
    "MAX_TRIGGER_CONDITIONS",
]

MAX_NODES: Final = 100
# Conditions of one condition node (the spec's limit).
MAX_CONDITIONS: Final = 10
MAX_DELAY_SECONDS: Final = 365 * 86400

# Trigger conditions are evaluated for every event of the trigger's type, for every contact: the cap bounds
# the per-event cost a single workflow adds (5,000 conditions x 50 workflows cost ~100 ms per event).
MAX_TRIGGER_CONDITIONS: Final = 20
# Goal conditions are evaluated for every event of every active run of the workflow.
MAX_GOAL_CONDITIONS: Final = 20
MAX_GOALS: Final = 20
# Groups (all/any, lists) nest at most this deep: compiling and evaluating a condition tree recurse.
MAX_CONDITION_DEPTH: Final = 8
# One node's data (templates, headers, bodies, Slack blocks): copied into the plan and into step records.
MAX_NODE_DATA_BYTES: Final = 64 * 1024
# The whole definition: it travels through the outbox and Kafka (1 MB record limit) with room to spare.
MAX_DEFINITION_BYTES: Final = 512 * 1024

# One HTTP attempt (webhook, slack ``timeoutMs``): the executor holds a slot this long at most.
MAX_TIMEOUT_MS: Final = 60_000
# All attempts of one action together (``actionTimeoutMs``): the run's action_timeout timer.
MAX_ACTION_TIMEOUT_MS: Final = 24 * 3_600_000

# What a run keeps of an action's response body (in its variables and the step record): the contact's
# state is stored whole on every event and must stay far below the broker's record limit.
MAX_KEPT_RESPONSE_BYTES: Final = 16 * 1024

# Re-entry caps. A workflow's ``settings.maxActiveRunsPerContact`` bounds its own active runs per contact
# (so one busy workflow cannot crowd out the others); MAX_ACTIVE_RUNS bounds all of a contact's active runs
# together, as a safety net for the state record: a waiting run stores about 0.5-1 KiB (its trigger
# summary, visits, variables), so 500 of them stay within the worker's 900 KiB record budget, and
# ``fit_state`` trims kept responses first when they carry more. An enrolment past either cap is skipped
# (``workflow.run.enrolment_skipped``), never started.
DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT: Final = 10
MAX_ACTIVE_RUNS: Final = 500
