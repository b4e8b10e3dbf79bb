"""The embedded engine's call control: agent registrations, caller legs, agent legs, media."""
