"""Automatic call distribution: the pure, clock-injected routing core."""
