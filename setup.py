"""Packaging is in setup.cfg. ``CALLCENTER_COMPILE=1`` also compiles the simulator's event loop
and the router with mypyc (needs mypy and a C compiler); without it everything is plain Python."""

import os
import sys

from setuptools import setup

ext_modules = []
if os.environ.get("CALLCENTER_COMPILE") == "1":
    from mypyc.build import mypycify

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from acd.compiled import MODULES, MYPYC_FLAGS

    ext_modules = mypycify([*MYPYC_FLAGS, *MODULES], opt_level="3")

setup(ext_modules=ext_modules)
