"""What every part of the tour (``main.py --tour DIR``) shares.

A part is a generator of the model: it drives intents as taps would and yields a
picture name (starting with the session's language) whenever the screen is ready
to be photographed, or "" while background work is still under way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator


def until(condition: Callable[[], bool], limit_frames: int = 600) -> Iterator[str]:
    """Wait (an empty name: no picture) until background work has shown its result."""
    for _frame in range(limit_frames):
        if condition():
            return
        yield ""
