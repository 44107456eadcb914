"""The projector: ``workflows.out`` run events -> runs, steps, schedules and stats counters in Postgres."""
