"""Agent seats: skills with proficiency and the two-axis seat state machine (pure, no I/O)."""
