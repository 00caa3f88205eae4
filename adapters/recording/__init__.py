"""An adapter that records what the core sends, for tests and for driving the core from code."""

from adapters.recording.adapter import RecordingAdapter

__all__ = ["RecordingAdapter"]
