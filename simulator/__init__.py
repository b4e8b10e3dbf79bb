"""Discrete-event traffic simulator, Erlang C/A staffing and the live SIP load generator."""
