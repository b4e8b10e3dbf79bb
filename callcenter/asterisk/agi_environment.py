"""The FastAGI environment block: ``agi_*`` variables sent before the first command."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass(frozen=True)
class AGIEnvironment:
    """The ``agi_*`` variables of one call, with the request URL taken apart.

    ``line`` is the path of the request URL: ``agi://host:4573/12345?lang=en`` is for line
    ``"12345"`` with ``params == {"lang": "en"}``. Dialplan arguments ``agi_arg_N`` are ``args``.
    """

    variables: Mapping[str, str]
    args: tuple[str, ...] = field(default=())

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> AGIEnvironment:
        variables = dict(pairs)
        numbered = sorted(
            (int(key[8:]), value)
            for key, value in variables.items()
            if key.startswith("agi_arg_") and key[8:].isdigit()
        )
        return cls(MappingProxyType(variables), tuple(value for _, value in numbered))

    def get(self, name: str, default: str | None = None) -> str | None:
        """A variable by name, with or without the ``agi_`` prefix."""
        key = name if name.startswith("agi_") else f"agi_{name}"
        return self.variables.get(key, default)

    def _str(self, name: str) -> str:
        return self.variables.get(f"agi_{name}", "")

    @property
    def request(self) -> str:
        return self._str("request")

    @property
    def line(self) -> str:
        """The path of the request URL without slashes or query: the hotline the call is for."""
        script = self._str("network_script") or urlsplit(self.request).path
        return unquote(script.split("?", 1)[0].strip("/"))

    @property
    def params(self) -> Mapping[str, str]:
        """The request URL's query parameters (last value wins)."""
        query = urlsplit(self.request).query or self._str("network_script").partition("?")[2]
        return MappingProxyType(dict(parse_qsl(query, keep_blank_values=True)))

    @property
    def channel(self) -> str:
        return self._str("channel")

    @property
    def uniqueid(self) -> str:
        return self._str("uniqueid")

    @property
    def callerid(self) -> str:
        return self._str("callerid")

    @property
    def calleridname(self) -> str:
        return self._str("calleridname")

    @property
    def dnid(self) -> str:
        return self._str("dnid")

    @property
    def extension(self) -> str:
        return self._str("extension")

    @property
    def context(self) -> str:
        return self._str("context")

    @property
    def language(self) -> str:
        return self._str("language")

    @property
    def version(self) -> str:
        return self._str("version")
