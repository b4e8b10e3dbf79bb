"""Call-center engine for 12345-style government service hotlines (composition root, CLI, operations)."""

__version__ = "0.1.0"
