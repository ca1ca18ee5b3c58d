"""uvicorn's server, stopped as soon as a test asks: it moved into the package
(``appevents.loopback``), where the pytest plugin's fixtures use it too."""

from __future__ import annotations

from appevents.loopback import PromptServer

__all__ = ["PromptServer"]
