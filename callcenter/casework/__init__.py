"""The application side of cases (工单): users and roles, storage, knowledge base, the service
that drives the pure ``cases`` core, its timers, API and CLI."""
