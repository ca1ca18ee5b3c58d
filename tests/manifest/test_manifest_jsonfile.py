"""Reading and writing stripe-app.json: only JSON in and out, symlinks kept, read-only respected,
every failure a ManifestError that names the file and the fix."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from appevents.errors import ManifestError
from appevents.manifest import Manifest
from appevents.manifest.jsonfile import MAX_MANIFEST_BYTES, read_json_object, write_json_atomic

BASE = {
    "id": "com.example.app",
    "version": "1.2.3",
    "name": "Example App",
    "icon": "",
    "permissions": [],
}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def test_a_grant_writes_through_a_symlink_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    target = write(tmp_path / "shared" / "stripe-app.json", BASE)
    link = tmp_path / "stripe-app.json"
    link.symlink_to(Path("shared") / "stripe-app.json")
    manifest = Manifest.load(link)
    manifest.grant_permission("event_read", "Read webhook event data")
    manifest.save()
    assert link.is_symlink()
    assert link.readlink() == Path("shared") / "stripe-app.json"
    assert json.loads(target.read_text())["permissions"] == [
        {"permission": "event_read", "purpose": "Read webhook event data"}
    ]
    # The temporary file was made beside the target, and nothing is left of it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared", "stripe-app.json"]
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["stripe-app.json"]


def test_a_chain_of_symlinks_is_followed_to_the_file(tmp_path: Path) -> None:
    target = write(tmp_path / "real.json", BASE)
    (tmp_path / "middle.json").symlink_to("real.json")
    (tmp_path / "stripe-app.json").symlink_to("middle.json")
    write_json_atomic(tmp_path / "stripe-app.json", {**BASE, "name": "Renamed"})
    assert (tmp_path / "stripe-app.json").is_symlink() and (tmp_path / "middle.json").is_symlink()
    assert json.loads(target.read_text())["name"] == "Renamed"


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ('{"version": NaN}', "NaN"),
        ('{"version": Infinity}', "Infinity"),
        ('{"a": [1, -Infinity]}', "-Infinity"),
        ('{"version": 1e999}', "1e999"),
    ],
)
def test_nan_and_infinity_are_not_json_and_are_refused(
    tmp_path: Path, text: str, token: str
) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_text(text)
    with pytest.raises(ManifestError) as caught:
        read_json_object(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {token} is not a JSON number")
    assert "replace it with a finite number or a string" in message


def test_a_number_too_long_to_convert_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_text('{"version": ' + "9" * 5000 + "}")
    with pytest.raises(ManifestError, match=r"^.*stripe-app.json: invalid JSON: .*digits"):
        read_json_object(path)


def test_nan_put_in_by_code_is_never_written(tmp_path: Path) -> None:
    path = write(tmp_path / "stripe-app.json", BASE)
    before = path.read_bytes()
    with pytest.raises(ManifestError, match=r"NaN and Infinity are not JSON"):
        write_json_atomic(path, {**BASE, "constants": {"ratio": float("nan")}})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stripe-app.json"]


def test_a_manifest_nested_beyond_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_text('{"constants": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ManifestError, match=r"nested too deeply"):
        read_json_object(path)


def test_a_binary_file_is_named_as_not_text(tmp_path: Path) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ManifestError) as caught:
        read_json_object(path)
    assert str(caught.value) == (
        f"{path}: not a text file (byte 0x89 at offset 0 is not UTF-8): a manifest is JSON "
        "text; pass the path of your stripe-app.json with --manifest"
    )


def test_a_read_only_file_is_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "stripe-app.json", BASE)
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(ManifestError) as caught:
        write_json_atomic(path, {**BASE, "name": "Changed"})
    assert str(caught.value) == (
        f"{path}: the file is read-only, so it was left unchanged; "
        f"make it writable (chmod u+w {path}) and retry"
    )
    assert path.read_bytes() == before
    assert path.stat().st_mode & 0o777 == 0o444


def test_a_read_only_folder_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    path = write(folder / "stripe-app.json", BASE)
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        with pytest.raises(ManifestError) as caught:
            write_json_atomic(path, {**BASE, "name": "Changed"})
        assert sorted(p.name for p in folder.iterdir()) == ["stripe-app.json"]
    finally:
        folder.chmod(0o755)
    assert str(caught.value) == (
        f"{path}: its folder {folder} is read-only, so the file was left unchanged "
        f"(it is replaced through a new file beside it); make the folder writable "
        f"(chmod u+w {folder}) and retry"
    )
    assert path.read_bytes() == before


def test_a_read_only_filesystem_is_an_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "stripe-app.json", BASE)
    before = path.read_bytes()

    def read_only_filesystem(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path))

    # What a mount with -o ro does to creating the temporary file (writable bits or not).
    monkeypatch.setattr(tempfile, "mkstemp", read_only_filesystem)
    with pytest.raises(ManifestError) as caught:
        write_json_atomic(path, {**BASE, "name": "Changed"})
    assert str(caught.value).startswith(f"{path}: cannot write the manifest: ")
    assert "Read-only file system" in str(caught.value)
    assert path.read_bytes() == before


def test_a_file_far_larger_than_any_manifest_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_text('{"constants": {"blob": "' + "x" * (MAX_MANIFEST_BYTES + 10) + '"}}')
    with pytest.raises(ManifestError) as caught:
        read_json_object(path)
    assert str(caught.value) == (
        f"{path}: over {MAX_MANIFEST_BYTES:,} bytes, far more than a manifest holds (a few KB); "
        "pass the path of your stripe-app.json with --manifest"
    )


def test_an_endless_stream_is_refused_too() -> None:
    endless = Path("/dev/zero")
    if not endless.exists():
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(ManifestError, match=r"over .* bytes, far more than a manifest holds"):
        read_json_object(endless)
