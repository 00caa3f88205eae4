"""The local console: the embedded default adapter, used when no platform token is set."""

from adapters.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]
