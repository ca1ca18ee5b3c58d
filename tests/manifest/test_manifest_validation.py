"""Every rule of Stripe's manifest schema yields a precise error: path, bad value, fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from appevents.manifest import validate_manifest

VALID: dict[str, Any] = {
    "id": "com.example.app",
    "version": "1.2.3",
    "name": "Example App",
    "icon": "./example_icon_32.png",
    "permissions": [{"permission": "event_read", "purpose": "Read webhook event data"}],
    "ui_extension": {
        "views": [{"viewport": "stripe.dashboard.drawer.default", "component": "App"}],
        "content_security_policy": {
            "connect-src": ["https://api.example.com/v1/"],
            "image-src": ["https://images.example.com/"],
            "purpose": "Show data from Example",
        },
    },
    "post_install_action": {"type": "external", "url": "https://example.com/onboarding"},
    "allowed_redirect_uris": ["https://example.com/stripe/installed"],
    "distribution_type": "public",
    "stripe_api_access_type": "platform",
    "sandbox_install_compatible": True,
    "constants": {"API_BASE": "https://api.example.com"},
    "$schema": "https://stripe.com/stripe-app.schema.json",
}


def with_change(path: list[str | int], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()

# (change path, new value, expected issue path, words the message must contain, words in fix)
CORPUS = [
    (["id"], DELETE, "id", "is required", 'add "id"'),
    (["id"], "com example/app", "id", "only letters, digits", '"com.example.app"'),
    (["version"], "", "version", "must not be empty", '"1.0.0"'),
    (["version"], DELETE, "version", "is required", 'add "version"'),
    (["name"], "", "name", "must not be empty", "name users will see"),
    (["icon"], "icon.jpg", "icon", "relative path to a PNG", '"./icon.png"'),
    (["icon"], DELETE, "icon", "is required", 'add "icon"'),
    (["permissions"], DELETE, "permissions", "is required", "appevents apps grant permission"),
    (
        ["permissions"],
        {},
        "permissions",
        'must be a list of {"permission": NAME, "purpose": TEXT}, not an object',
        '"permissions": [{"permission": "event_read"',
    ),
    (["permissions", 0, "scope"], "x", "permissions[0].scope", "is not allowed", "remove it"),
    (["permissions", 0, "purpose"], DELETE, "permissions[0].purpose", "is required", "why"),
    (["permissions", 0, "purpose"], "", "permissions[0].purpose", "must not be empty", "why"),
    (
        ["permissions", 0, "permission"],
        "payment_intents_read",
        "permissions[0].permission",
        "is not a known permission",
        "payment_intent_read",
    ),
    (
        ["ui_extension", "views", 0, "viewport"],
        "stripe.dashboard.customer.detial",
        "ui_extension.views[0].viewport",
        "is not a known viewport",
        "stripe.dashboard.customer.detail",
    ),
    (
        ["ui_extension", "views", 0, "component"],
        "my-view",
        "ui_extension.views[0].component",
        "React component name",
        "src/views",
    ),
    (
        ["ui_extension", "views", 0, "component"],
        DELETE,
        "ui_extension.views[0].component",
        "is required",
        "React component",
    ),
    (
        ["ui_extension", "content_security_policy", "connect-src", 0],
        "https://api.example.com",
        "ui_extension.content_security_policy.connect-src[0]",
        "http(s) URL with a path",
        "trailing /",
    ),
    (
        ["ui_extension", "content_security_policy", "image-src", 0],
        "images.example.com",
        "ui_extension.content_security_policy.image-src[0]",
        "must be an http(s) URL",
        "https://images.example.com/",
    ),
    (
        ["ui_extension", "content_security_policy", "purpose"],
        DELETE,
        "ui_extension.content_security_policy.purpose",
        "is required",
        "calls these URLs",
    ),
    (
        ["post_install_action"],
        {"type": "settings", "url": "https://example.com/a"},
        "post_install_action.url",
        "is not allowed with type 'settings'",
        "only type external takes a url",
    ),
    (
        ["post_install_action"],
        {"type": "external"},
        "post_install_action.url",
        "is required with type 'external'",
        "https://",
    ),
    (
        ["post_install_action"],
        {"type": "wizard"},
        "post_install_action.type",
        "is not a post-install action",
        '"onboarding", "settings" or "external"',
    ),
    (
        ["post_install_action"],
        {"type": "external", "url": "example.com"},
        "post_install_action.url",
        "must be an http(s) URL",
        "https://example.com/onboarding",
    ),
    (["post_install_action"], "settings", "post_install_action", "null or an object", "null"),
    (["permision"], [], "permision", "is not allowed here", 'rename it to "permissions"'),
    (["distribution_type"], "everyone", "distribution_type", "is not allowed", '"public"'),
    (["stripe_api_access_type"], "key", "stripe_api_access_type", "is not allowed", '"oauth"'),
    (
        ["sandbox_install_compatible"],
        "yes",
        "sandbox_install_compatible",
        "must be true or false, not a string",
        "true or false",
    ),
    (
        ["allowed_redirect_uris", 0],
        "ftp://example.com/x",
        "allowed_redirect_uris[0]",
        "http(s) URL with a path",
        "https://example.com/stripe/installed",
    ),
    (["constants"], [], "constants", "must be an object or null, not an array", "object"),
    (["$schema"], 1, "$schema", "must be a string, not a number", "a string"),
]


def test_the_valid_manifest_has_no_issues() -> None:
    assert validate_manifest(VALID) == []


@pytest.mark.parametrize(
    ("change", "value", "path", "message", "fix"),
    CORPUS,
    ids=[
        f"{'.'.join(map(str, c[0]))}={'(deleted)' if c[1] is DELETE else repr(c[1])}"[:60]
        for c in CORPUS
    ],
)
def test_each_violation_yields_its_precise_error(
    change: list[str | int], value: Any, path: str, message: str, fix: str
) -> None:
    issues = validate_manifest(with_change(change, value))
    assert len(issues) == 1, [str(i) for i in issues]
    issue = issues[0]
    assert issue.severity == "error"
    assert issue.path == path
    assert message in issue.message
    assert fix in issue.fix
    if value is not DELETE and change[-1] == path.rsplit(".", 1)[-1].split("[")[0]:
        assert issue.value == value
    assert str(issue).startswith(f"{path}: {issue.message}")


def test_corpus_has_at_least_fifteen_distinct_violations() -> None:
    assert len({(c[2], c[3]) for c in CORPUS}) >= 15


def test_bad_value_is_shown_in_the_message() -> None:
    (issue,) = validate_manifest(with_change(["id"], "com example"))
    assert str(issue) == (
        "id: must contain only letters, digits, '_', '-' and '.' (got \"com example\"); "
        'fix: use an id like "com.example.app"'
    )


@pytest.mark.parametrize(
    ("change", "value", "expected"),
    [
        (
            ["permissions"],
            "event_read",
            'permissions: must be a list of {"permission": NAME, "purpose": TEXT}, not a string '
            '(got "event_read"); fix: write "permissions": [{"permission": "event_read", '
            '"purpose": "Read webhook event data"}], one object per permission',
        ),
        (
            ["permissions", 0],
            "event_read",
            'permissions[0]: must be {"permission": NAME, "purpose": TEXT}, not a string '
            '(got "event_read"); fix: write {"permission": "event_read", '
            '"purpose": "Read webhook event data"}',
        ),
        (
            ["id"],
            12,
            'id: must be a string like "com.example.app", not a number (got 12); '
            'fix: quote it, or use an id like "com.example.app"',
        ),
    ],
)
def test_a_value_of_the_wrong_kind_says_what_kind_is_expected(
    change: list[str | int], value: Any, expected: str
) -> None:
    assert [str(issue) for issue in validate_manifest(with_change(change, value))] == [expected]


def test_backend_only_manifest_is_a_warning_not_an_error() -> None:
    data = with_change(["ui_extension"], DELETE)
    (issue,) = validate_manifest(data)
    assert issue.severity == "warning"
    assert issue.path == "ui_extension"
    assert "stripe apps upload" in issue.message
    assert issue.fix == 'add "ui_extension": {"views": []} before uploading'


def test_documented_names_beyond_the_schema_enum_are_accepted() -> None:
    data = with_change(
        ["permissions"],
        [
            {"permission": "review_read", "purpose": "x"},
            {"permission": "issuing_card_sensitive_read", "purpose": "x"},
            {"permission": "apple_pay_domain_read", "purpose": "x"},
        ],
    )
    assert validate_manifest(data) == []


def test_schema_typos_are_accepted_with_a_warning() -> None:
    data = with_change(["permissions"], [{"permission": "shpping_rate_write", "purpose": "x"}])
    (issue,) = validate_manifest(data)
    assert issue.severity == "warning"
    assert issue.path == "permissions[0].permission"
    assert issue.message == "is the official schema's misspelling of shipping_rate_write"


def test_duplicate_grants_are_a_warning() -> None:
    data = with_change(
        ["permissions"],
        [
            {"permission": "event_read", "purpose": "a"},
            {"permission": "event_read", "purpose": "b"},
        ],
    )
    (issue,) = validate_manifest(data)
    assert (issue.severity, issue.path) == ("warning", "permissions[1].permission")
    assert issue.message == "is already granted by permissions[0]"


def test_errors_come_before_warnings() -> None:
    data = with_change(["ui_extension"], DELETE)
    data["id"] = "bad id"
    assert [i.severity for i in validate_manifest(data)] == ["error", "warning"]


def test_several_missing_keys_are_each_reported() -> None:
    issues = validate_manifest({"permissions": []})
    assert [(i.severity, i.path) for i in issues] == [
        ("error", "id"),
        ("error", "version"),
        ("error", "name"),
        ("error", "icon"),
        ("warning", "ui_extension"),
    ]


def test_local_manifest_uses_the_local_schema() -> None:
    assert validate_manifest({"extends": "stripe-app.json", "name": "Dev"}, local=True) == []
    (bad,) = validate_manifest({"extends": "base.json"}, local=True)
    assert (bad.path, bad.value) == ("extends", "base.json")
    assert "stripe-app*.json" in bad.message
    (extra,) = validate_manifest({"extends": "stripe-app.json", "nme": "x"}, local=True)
    assert (extra.path, extra.fix) == ("nme", 'rename it to "name" or remove it')
    (perm,) = validate_manifest(
        {
            "extends": "stripe-app.json",
            "permissions": [{"permission": "evnt_read", "purpose": "x"}],
        },
        local=True,
    )
    assert perm.path == "permissions[0].permission"
    assert "event_read" in perm.fix
