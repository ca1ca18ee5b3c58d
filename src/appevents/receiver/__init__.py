"""The receiver: what an app backend deploys to get Stripe's events, durably."""

from .app import App
from .handlers import Context
from .inbox import Attempt, Outcome, Source, Status, Store, StoredEvent
from .installations import Installation
from .retention import Retention
from .retry import DeadLetter, Retry, RetryPolicy
from .runtime import Runtime
from .stores import open_store_url
from .stores.memory import MemoryStore
from .stores.sqlite import SQLiteStore
from .worker import Worker

__all__ = [
    "App",
    "Attempt",
    "Context",
    "DeadLetter",
    "Installation",
    "MemoryStore",
    "Outcome",
    "Retention",
    "Retry",
    "RetryPolicy",
    "Runtime",
    "SQLiteStore",
    "Source",
    "Status",
    "Store",
    "StoredEvent",
    "Worker",
    "open_store_url",
]
