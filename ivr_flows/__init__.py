"""IVR flows: validated flow data, the pure interpreter and prompts in seven languages."""
