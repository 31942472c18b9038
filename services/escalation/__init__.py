"""Pages: escalation policies, on-call rotations, regulatory clocks, and the worker that fires steps."""
