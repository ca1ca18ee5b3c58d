"""The public API is what `appevents.__all__` declares, and every name there exists."""

import appevents
import appevents.receiver

EXPECTED = {
    "App", "AppEventsError", "ConfigurationError", "Context", "DEFAULT_TOLERANCE", "Event",
    "EventRequest", "Installation", "InvalidEvent", "Manifest", "ManifestError", "NotFound",
    "RelatedObject", "Retention", "RetryPolicy", "SignatureError", "Status", "StoreError", "StoreUnavailable", "UnknownName",
    "UnknownEventTypeWarning", "StripeAPIError",
    "Verifier", "__version__", "check_app_permissions", "missing_permissions",
    "required_permissions", "sign", "verify",
    "UIRequest", "sign_ui_request", "verify_ui_request",
}  # fmt: skip


def test_top_level_api_is_exactly_the_declared_one():
    assert set(appevents.__all__) == EXPECTED
    for name in appevents.__all__:
        assert getattr(appevents, name) is not None


def test_receiver_api_names_exist():
    for name in appevents.receiver.__all__:
        assert hasattr(appevents.receiver, name), name


def test_every_error_is_an_appevents_error():
    for name in ("ConfigurationError", "SignatureError", "InvalidEvent", "UnknownName",
                 "ManifestError", "StoreError", "StoreUnavailable", "NotFound",
                 "StripeAPIError"):  # fmt: skip
        assert issubclass(getattr(appevents, name), appevents.AppEventsError)
    assert issubclass(appevents.StoreUnavailable, appevents.StoreError)
    assert issubclass(appevents.NotFound, appevents.StoreError)


def test_the_error_tree_docstring_names_every_error():
    doc = appevents.errors.__doc__ or ""
    for name in ("ConfigurationError", "SignatureError", "InvalidEvent", "UnknownName",
                 "ManifestError", "StoreError", "StoreUnavailable", "NotFound",
                 "StripeAPIError"):  # fmt: skip
        assert name in doc
