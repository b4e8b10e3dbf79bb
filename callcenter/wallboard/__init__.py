"""The live wallboard: a page served by the engine, updated by server-sent events."""

from callcenter.wallboard.hub import WallboardHub
from callcenter.wallboard.routes import wallboard_router
from callcenter.wallboard.view import build_view, combine_stats, status

__all__ = ["WallboardHub", "build_view", "combine_stats", "status", "wallboard_router"]
