"""appevents: receive the webhooks of every Stripe account that installed your app.

The public API is declared here once; ``tests/test_public_api.py`` keeps it honest.
"""

from .errors import (
    AppEventsError,
    ConfigurationError,
    InvalidEvent,
    ManifestError,
    NotFound,
    SignatureError,
    StoreError,
    StoreUnavailable,
    StripeAPIError,
    UnknownName,
)
from .event import Event, EventRequest, RelatedObject
from .manifest import Manifest, check_app_permissions, missing_permissions, required_permissions
from .receiver import App, Context, Installation, Retention, RetryPolicy, Status
from .receiver.handlers import UnknownEventTypeWarning
from .signature import DEFAULT_TOLERANCE, Verifier, sign, verify
from .ui_request import UIRequest, sign_ui_request, verify_ui_request

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOLERANCE",
    "App",
    "AppEventsError",
    "ConfigurationError",
    "Context",
    "Event",
    "EventRequest",
    "Installation",
    "InvalidEvent",
    "Manifest",
    "ManifestError",
    "NotFound",
    "RelatedObject",
    "Retention",
    "RetryPolicy",
    "SignatureError",
    "Status",
    "StoreError",
    "StoreUnavailable",
    "StripeAPIError",
    "UIRequest",
    "UnknownEventTypeWarning",
    "UnknownName",
    "Verifier",
    "__version__",
    "check_app_permissions",
    "missing_permissions",
    "required_permissions",
    "sign",
    "sign_ui_request",
    "verify",
    "verify_ui_request",
]
