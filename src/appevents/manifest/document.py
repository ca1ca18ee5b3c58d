"""A stripe-app.json on disk: load, inspect, grant and revoke permissions, validate, save.

Edits mirror ``stripe apps grant|revoke permission``: a grant appends
``{"permission": NAME, "purpose": PURPOSE}`` to ``permissions``; everything else in the file
keeps its order and indentation.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import catalog
from ..errors import ConfigurationError, ManifestError, UnknownName
from .jsonfile import DEFAULT_INDENT, read_json_object, write_json_atomic
from .scaffold import EXAMPLE_ID
from .validation import Issue, validate_manifest

DEFAULT_MANIFEST = "stripe-app.json"


@dataclass(frozen=True)
class PermissionGrant:
    """One entry of ``permissions``."""

    permission: str
    purpose: str


class GrantChange(enum.Enum):
    ADDED = "added"
    PURPOSE_UPDATED = "purpose updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class GrantOutcome:
    """What :meth:`Manifest.grant_permission` did."""

    change: GrantChange
    permission: str
    """The name written (the correct spelling when an alias was asked for)."""
    requested: str
    previous_purpose: str | None = None


class Manifest:
    """A stripe-app.json (or a local manifest with ``extends``) held in memory.

    Mutating methods change :attr:`data` only; :meth:`save` writes it back atomically.
    """

    def __init__(
        self, path: str | os.PathLike[str], data: dict[str, Any], indent: str = DEFAULT_INDENT
    ) -> None:
        self.path = Path(path)
        self.data = data
        self.indent = indent

    @classmethod
    def load(cls, path: str | os.PathLike[str] = DEFAULT_MANIFEST) -> Manifest:
        """Read a manifest; ManifestError names file, line and column of bad JSON, and for a
        missing file how to create one."""
        data, indent = read_json_object(Path(path), if_missing=_if_missing(Path(path)))
        return cls(path, data, indent)

    def __repr__(self) -> str:
        return f"Manifest({str(self.path)!r}, id={self.data.get('id')!r})"

    @property
    def app_id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    @property
    def is_local(self) -> bool:
        """A local development manifest (``stripe apps start --manifest``) extending another."""
        return "extends" in self.data

    @property
    def permissions(self) -> tuple[PermissionGrant, ...]:
        """The well-formed entries of ``permissions``, in file order."""
        return tuple(
            PermissionGrant(entry["permission"], entry.get("purpose", ""))
            for entry in self._entries(create=False)
            if isinstance(entry, dict) and isinstance(entry.get("permission"), str)
        )

    def granted_permissions(self) -> frozenset[str]:
        """Granted names, correctly spelt; a local manifest without ``permissions`` inherits
        those of the manifest it extends."""
        grants = self.permissions
        if self.is_local and "permissions" not in self.data:
            grants = self._base().permissions
        return frozenset(_canonical_or_same(grant.permission) for grant in grants)

    def has_permission(self, name: str) -> bool:
        return _canonical_or_same(name) in self.granted_permissions()

    def grant_permission(self, name: str, purpose: str) -> GrantOutcome:
        """Grant ``name`` (append it) or, if already granted, set its purpose.

        Raises UnknownName (with the closest names) for a name Stripe does not document, and
        ConfigurationError for an empty purpose.
        """
        permission = catalog.canonical_permission(name)
        if not purpose.strip():
            raise ConfigurationError(
                f"the purpose of {permission} is empty: say why the app needs it "
                "(users read it when they install the app)"
            )
        entries = self._entries(create=True)
        for entry in entries:
            if (
                isinstance(entry, dict)
                and _canonical_or_same(entry.get("permission")) == permission
            ):
                previous = entry.get("purpose")
                if previous == purpose:
                    return GrantOutcome(GrantChange.UNCHANGED, permission, name, previous)
                entry["purpose"] = purpose
                return GrantOutcome(
                    GrantChange.PURPOSE_UPDATED,
                    permission,
                    name,
                    previous if isinstance(previous, str) else None,
                )
        entries.append({"permission": permission, "purpose": purpose})
        return GrantOutcome(GrantChange.ADDED, permission, name)

    def revoke_permission(self, name: str) -> PermissionGrant:
        """Remove every entry granting ``name``; returns the (first) entry removed.

        A name present in the file is removed even if Stripe no longer documents it; otherwise
        an unknown name raises UnknownName and a known one not granted raises ManifestError.
        """
        entries = self._entries(create=False)
        wanted = {name, _canonical_or_same(name)}
        matches = [
            entry
            for entry in entries
            if isinstance(entry, dict)
            and (
                entry.get("permission") in wanted
                or _canonical_or_same(entry.get("permission")) in wanted
            )
        ]
        if not matches:
            if not catalog.is_known_permission(name):
                raise UnknownName(
                    "permission",
                    name,
                    _revoke_suggestions(name, [g.permission for g in self.permissions]),
                )
            granted = ", ".join(g.permission for g in self.permissions) or "none"
            raise ManifestError(
                f"{self.path}: permission {name} is not granted, so there is nothing to revoke "
                f"(granted: {granted})"
            )
        entries[:] = [entry for entry in entries if not any(entry is m for m in matches)]
        first = matches[0]
        return PermissionGrant(str(first["permission"]), str(first.get("purpose", "")))

    def validate(self) -> list[Issue]:
        """Errors and warnings against Stripe's schema (the local schema for ``extends``)."""
        return validate_manifest(self.data, local=self.is_local)

    def errors(self) -> list[Issue]:
        return [issue for issue in self.validate() if issue.severity == "error"]

    def save(self) -> None:
        """Write the manifest back atomically, with its original indentation.

        Refuses (ManifestError listing them) a manifest with validation errors: a file Stripe
        would reject is never produced by an edit, and the one on disk stays as it was.
        """
        self.require_valid("not saved")
        write_json_atomic(self.path, self.data, self.indent)

    def require_valid(self, refusal: str) -> None:
        """Raise ManifestError listing every validation error, if there is any; ``refusal``
        says what was not done (``not saved``)."""
        errors = self.errors()
        if errors:
            raise ManifestError(
                f"{self.path}: {refusal}, the manifest has {len(errors)} "
                f"error{'' if len(errors) == 1 else 's'} (fix them, then retry): "
                + " | ".join(str(issue) for issue in errors)
            )

    def require_app_id(self) -> str:
        """The app's id; ManifestError saying what is wrong with it when it is unusable."""
        for issue in self.errors():
            if issue.path == "id":
                raise ManifestError(f"{self.path}: {issue}")
        if self.app_id is None:  # a local manifest may inherit it, but cannot name the app
            raise ManifestError(f'{self.path}: id: is required; fix: add "id": "{EXAMPLE_ID}"')
        return self.app_id

    def _entries(self, *, create: bool) -> list[Any]:
        if "permissions" not in self.data:
            if not create:
                return []
            self.data["permissions"] = []
        entries = self.data["permissions"]
        if not isinstance(entries, list):
            issues = [str(issue) for issue in self.errors() if issue.path == "permissions"]
            raise ManifestError(f"{self.path}: {' | '.join(issues)}")
        return entries

    def _base(self) -> Manifest:
        extends = self.data.get("extends")
        if not isinstance(extends, str):
            raise ManifestError(f"{self.path}: extends must name the base manifest file")
        return Manifest.load(self.path.parent / extends)


def _if_missing(path: Path) -> str:
    command = f"appevents apps init --id {EXAMPLE_ID}"
    if path != Path(DEFAULT_MANIFEST):
        command += f" --manifest {path}"
    return (
        "run the command in your app's directory (where stripe-app.json is), "
        f"pass --manifest PATH, or create one: run: {command}"
    )


def _revoke_suggestions(name: str, granted: list[str]) -> list[str]:
    """Close names that are granted first, then any known name."""
    return catalog.closest_names(name, granted) or catalog.closest_names(
        name, catalog.permission_names()
    )


def _canonical_or_same(name: Any) -> Any:
    return (
        catalog.canonical_permission(name)
        if isinstance(name, str) and catalog.is_known_permission(name)
        else name
    )
