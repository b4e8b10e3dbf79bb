"""The ``callcenter`` command line.

Sub-commands live in their own modules and are loaded lazily, so ``callcenter --help`` stays fast
and a command's heavy dependencies (numpy, pjsua2, matplotlib) load only when it runs.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import click

# name -> ("module", "attribute", "one-line help")
COMMANDS: dict[str, tuple[str, str, str]] = {
    "simulate": ("callcenter.commands.simulate_cmd", "simulate", "Simulate traffic through the ACD."),
    "staff": ("callcenter.commands.staff_cmd", "staff", "Agents needed for a service level."),
    "forecast": ("callcenter.commands.forecast_cmd", "forecast",
                 "Arrivals per half-hour for the coming days, from the call records."),
    "roster": ("callcenter.commands.roster_cmd", "roster",
               "Cheapest shift roster for the required agents, checked by simulation."),
    "config": ("callcenter.commands.config_cmd", "config", "Check a hotline configuration."),
    "serve": ("callcenter.commands.serve_cmd", "serve", "Run the call-center engine."),
    "report": ("callcenter.commands.report_cmd", "report", "Daily report from the call records."),
    "flows": ("callcenter.commands.flows_cmd", "flows", "Check IVR flow files."),
    "prompts": ("callcenter.commands.prompts_cmd", "prompts", "Build IVR prompt audio."),
    "agent-phone": ("callcenter.commands.agent_phone_cmd", "agent_phone",
                    "Softphone seat for one agent (pjsua2, text UI)."),
    "asterisk-config": ("callcenter.commands.asterisk_config_cmd", "asterisk_config",
                        "Render Asterisk configs and export prompts."),
    "loadtest": ("callcenter.commands.loadtest_cmd", "loadtest",
                 "Live SIP load test: real callers and agent seats."),
    "cases": ("callcenter.commands.cases_cmd", "cases",
              "Cases (工单): users, taxonomy, departments, export, evaluation."),
    "sms": ("callcenter.commands.sms_cmd", "sms", "SMS notices: a test message, the outbox."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def main(self, args: Any = None, *rest: Any, **options: Any) -> Any:
        # One BLAS thread unless the user asks for more: numpy starts OpenBLAS's thread pool at
        # import (30-60 ms of CPU on a small machine), and no command multiplies matrices big
        # enough to use it; replications already run in processes of their own.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        if args is None:  # arguments from sys.argv: run as the program, not by a caller
            from callcenter.commands.startup import own_the_process

            own_the_process()
        return super().main(args, *rest, **options)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        from callcenter.commands.startup import collector_paused

        with collector_paused():
            module = importlib.import_module(spec[0])
        return getattr(module, spec[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(package_name="callcenter12345")
def main() -> None:
    """Call-center engine for 12345 government service hotlines."""


if __name__ == "__main__":  # pragma: no cover
    main()
