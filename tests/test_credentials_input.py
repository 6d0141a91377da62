"""Credentials from hostile or broken input: control characters, bad files, bad names."""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from dataflow_async import Credentials, DataFlowClient, MissingCredentialsError

ACCESS = "AKIDLONGACCESSKEY"
SECRET = "hunter2-SeCrEt/with=equals"
CONTROLS = ["\x00", "\x01", "\t", "\n", "\x0b", "\x0c", "\r", "\x1b", "\x1f", "\x7f", "\x80"]
CONTROLS += ["\x85", "\x9b", "\x9f"]


def assert_clean(message: str) -> None:
    """No secret, no whole access key, nothing a terminal would act on."""
    assert SECRET not in message and "SeCrEt" not in message
    assert ACCESS not in message
    assert message.isprintable(), repr(message)


def pair_file(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("where", ["access", "secret"])
def test_control_characters_are_rejected_at_construction(char: str, where: str) -> None:
    access, secret = ACCESS, SECRET
    if where == "access":
        access = f"{ACCESS[:6]}{char}{ACCESS[6:]}"
    else:
        secret = f"{SECRET[:6]}{char}{SECRET[6:]}"
    with pytest.raises(ValueError, match=f"{where}_key.*control character") as info:
        Credentials(access, secret)
    message = str(info.value)
    assert_clean(message)
    assert f"U+{ord(char):04X}" in message
    if where == "access":
        assert "'AKID***'" in message and "position 6" in message


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x85"])
def test_mask_never_shows_a_control_character(char: str) -> None:
    with pytest.raises(ValueError, match="control character") as info:
        Credentials(f"{char}KEYLONGACCESS", SECRET)
    assert "'?KEY***'" in str(info.value)
    assert_clean(str(info.value))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NCLOUD_ACCESS_KEY_ID", f"{ACCESS}\x0b"),
        ("NCLOUD_ACCESS_KEY_ID", f"AKID\x00{ACCESS}"),
        ("NCLOUD_SECRET_ACCESS_KEY", f"{SECRET}\x0c"),
        ("NCLOUD_SECRET_ACCESS_KEY", f"\x7f{SECRET}"),
    ],
)
def test_control_characters_in_the_environment(variable: str, value: str) -> None:
    environ = {"NCLOUD_ACCESS_KEY_ID": ACCESS, "NCLOUD_SECRET_ACCESS_KEY": SECRET}
    environ[variable] = value
    with pytest.raises(MissingCredentialsError, match="NCLOUD_ACCESS_KEY_ID") as info:
        Credentials.from_env(environ)
    assert "control character" in str(info.value)
    assert_clean(str(info.value))
    assert info.value.__context__ is None


def test_environment_values_lose_only_shell_whitespace() -> None:
    creds = Credentials.from_env(
        {"NCLOUD_ACCESS_KEY_ID": f" {ACCESS}\n", "NCLOUD_SECRET_ACCESS_KEY": f"\t{SECRET}\r\n"}
    )
    assert (creds.access_key, creds.secret_key) == (ACCESS, SECRET)


def test_non_utf8_file_never_carries_its_content(tmp_path: Path) -> None:
    body = f"[DEFAULT]\nncloud_access_key_id = {ACCESS}\nncloud_secret_access_key = {SECRET}\xff\n"
    path = pair_file(tmp_path / "configure", body.encode("latin-1"))
    with pytest.raises(MissingCredentialsError, match=r"not UTF-8 text \(line 3\)") as info:
        Credentials.from_config_file(path, environ={})
    error = info.value
    assert error.__cause__ is None and error.__context__ is None
    assert_clean(str(error))
    assert_clean(" ".join(map(repr, error.args)) + repr(vars(error)))
    assert SECRET not in "".join(traceback.format_exception(error))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_files_are_refused(tmp_path: Path, encoding: str) -> None:
    body = f"ncloud_access_key_id = {ACCESS}\nncloud_secret_access_key = {SECRET}\n"
    path = pair_file(tmp_path / "configure", body.encode(encoding))
    with pytest.raises(MissingCredentialsError, match="not UTF-8") as info:
        Credentials.from_config_file(path, environ={})
    assert info.value.__context__ is None


def test_unparsable_file_chains_nothing(tmp_path: Path) -> None:
    path = pair_file(tmp_path / "configure", f"[DEFAULT]\n{SECRET.replace('=', '')}\n")
    with pytest.raises(MissingCredentialsError, match="not a valid configure file") as info:
        Credentials.from_config_file(path, environ={})
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert "SeCrEt" not in "".join(traceback.format_exception(info.value))


def test_control_character_in_a_file_key(tmp_path: Path) -> None:
    body = (
        f"[DEFAULT]\nncloud_access_key_id = AKID\x1b{ACCESS}\nncloud_secret_access_key = {SECRET}\n"
    )
    path = pair_file(tmp_path / "configure", body)
    with pytest.raises(MissingCredentialsError, match=r"configure \[DEFAULT\].*U\+001B") as info:
        Credentials.from_config_file(path, environ={})
    assert_clean(str(info.value))


@pytest.mark.parametrize("header", ["[DEFAULT]\n", ""])
def test_utf8_bom_is_accepted(tmp_path: Path, header: str) -> None:
    body = f"\ufeff{header}ncloud_access_key_id = {ACCESS}\nncloud_secret_access_key = {SECRET}\n"
    path = pair_file(tmp_path / "configure", body)
    creds = Credentials.from_config_file(path, environ={})
    assert (creds.access_key, creds.secret_key) == (ACCESS, SECRET)


def test_a_directory_or_a_huge_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentialsError, match="cannot read"):
        Credentials.from_config_file(tmp_path, environ={})
    huge = pair_file(tmp_path / "configure", b"#" * (1 << 20) + b"\n")
    with pytest.raises(MissingCredentialsError, match="larger than 1 MiB"):
        Credentials.from_config_file(huge, environ={})


GOOD = f"[DEFAULT]\nncloud_access_key_id = {ACCESS}\nncloud_secret_access_key = {SECRET}\n"


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o666, 0o610])
def test_file_open_to_others_warns_once_but_works(
    tmp_path: Path, mode: int, caplog: pytest.LogCaptureFixture
) -> None:
    path = pair_file(tmp_path / "configure", GOOD, mode)
    with caplog.at_level(logging.WARNING, logger="dataflow_async"):
        first = Credentials.from_config_file(path, environ={})
        Credentials.resolve(config_path=path, environ={})
    assert first.secret_key == SECRET
    (record,) = caplog.records
    assert record.name == "dataflow_async" and record.levelno == logging.WARNING
    message = record.getMessage()
    assert f"{mode:04o}" in message and f"chmod 600 {path}" in message
    assert_clean(message)


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_private_file_does_not_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = pair_file(tmp_path / "configure", GOOD, 0o600)
    with caplog.at_level(logging.DEBUG, logger="dataflow_async"):
        Credentials.from_config_file(path, environ={})
    assert caplog.records == []


BAD_NAMES = ["\ud800", "prod\udcff", "", "  ", "a\nb", "a\x00b", "\x1b[2J", "p\x85"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[ascii(n) for n in BAD_NAMES])
def test_bad_profile_name_fails_at_the_call(tmp_path: Path, name: str) -> None:
    path = pair_file(tmp_path / "configure", GOOD)
    environ = {"NCLOUD_ACCESS_KEY_ID": ACCESS, "NCLOUD_SECRET_ACCESS_KEY": SECRET}
    calls: list[Callable[[], Credentials]] = [
        lambda: Credentials.from_config_file(path, name, environ={}),
        lambda: Credentials.resolve(profile=name, config_path=path, environ=environ),
        lambda: Credentials.resolve(profile=name, config_path=tmp_path / "none", environ={}),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="profile") as info:
            call()
        str(info.value).encode("utf-8")  # printable anywhere: no lone surrogate
        assert info.value.__context__ is None


def test_bad_profile_name_fails_at_client_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ValueError, match="profile"):
        DataFlowClient(profile="\ud800")
    with pytest.raises(TypeError, match="profile must be a str"):
        Credentials.resolve(profile=b"prod", environ={})  # type: ignore[arg-type]


def test_bad_profile_in_the_environment(tmp_path: Path) -> None:
    path = pair_file(tmp_path / "configure", GOOD)
    with pytest.raises(MissingCredentialsError, match="NCLOUD_PROFILE") as info:
        Credentials.resolve(config_path=path, environ={"NCLOUD_PROFILE": "prod\udcff"})
    assert "\\udcff" in str(info.value)
    str(info.value).encode("utf-8")


def test_nothing_found_says_what_to_set_and_where_it_looked(tmp_path: Path) -> None:
    path = tmp_path / "configure"
    with pytest.raises(MissingCredentialsError) as info:
        Credentials.resolve(config_path=path, environ={})
    message = str(info.value)
    assert "Credentials(" not in message  # no Python call: variables and a file
    for place in (
        "NCLOUD_ACCESS_KEY_ID",
        "NCLOUD_SECRET_ACCESS_KEY",
        "NCLOUD_ACCESS_KEY ",
        str(path),
    ):
        assert place in message
    assert "ncloud_access_key_id" in message and "[DEFAULT]" in message
    assert "\n" not in message


def test_nothing_found_for_a_named_profile(tmp_path: Path) -> None:
    path = tmp_path / "configure"
    with pytest.raises(MissingCredentialsError) as info:
        Credentials.resolve(profile="prod", config_path=path, environ={})
    message = str(info.value)
    assert str(path) in message and "[prod]" in message
    assert "NCLOUD_ACCESS_KEY_ID" not in message  # the environment was not looked at


def test_file_without_the_profile_also_names_the_environment(tmp_path: Path) -> None:
    path = pair_file(tmp_path / "configure", GOOD)
    with pytest.raises(MissingCredentialsError) as info:
        Credentials.resolve(config_path=path, environ={"NCLOUD_PROFILE": "prod"})
    message = str(info.value)
    assert "'prod' not found" in message and "NCLOUD_ACCESS_KEY_ID" in message
    assert info.value.__context__ is None
