"""The hotline's browser desk: sign-in, the department workspace and the agent's case intake,
server-rendered from the package's templates over the same case service as the API."""

from callcenter.desk.routes import desk_router

__all__ = ["desk_router"]
