"""OneStop engine: persisted SpiffWorkflow runner, calendar, timers and restricted scripting."""
