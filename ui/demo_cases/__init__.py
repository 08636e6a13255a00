"""The sample cases of `onestop demo`, one module per city package (SCENARIOS in each)."""
