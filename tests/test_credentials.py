"""Credentials: validation, secrecy, and the chain NAVER Cloud's tools use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dataflow_async import Credentials, MissingCredentialsError

SECRET = "sEcReT/with=equals+and+plus"


@pytest.mark.parametrize(
    ("access", "secret", "error"),
    [
        ("", "s", ValueError),
        ("a", "   ", ValueError),
        (" a", "s", ValueError),
        ("a", "s\n", ValueError),
        ("ä", "s", ValueError),
        (None, "s", TypeError),
        ("a", b"s", TypeError),
    ],
)
def test_bad_keys_are_rejected(access: object, secret: object, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        Credentials(access, secret)  # type: ignore[arg-type]
    assert "s\n" not in str(info.value)


def test_secret_never_in_repr_or_str() -> None:
    creds = Credentials("AKIDLONGACCESSKEY", SECRET)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text
        assert "AKIDLONGACCESSKEY" not in text
    assert creds.masked_access_key == "AKID***"


def test_equality_ignores_source() -> None:
    assert Credentials("a", "b", source="x") == Credentials("a", "b")
    with pytest.raises(AttributeError):
        Credentials("a", "b").secret_key = "c"  # type: ignore[misc]


def env(**values: str) -> dict[str, str]:
    return dict(values)


def test_from_env_sdk_names_win() -> None:
    creds = Credentials.from_env(
        env(
            NCLOUD_ACCESS_KEY_ID="sdk-ak",
            NCLOUD_SECRET_ACCESS_KEY="sdk-sk",
            NCLOUD_ACCESS_KEY="tf-ak",
            NCLOUD_SECRET_KEY="tf-sk",
        )
    )
    assert (creds.access_key, creds.secret_key) == ("sdk-ak", "sdk-sk")
    assert "NCLOUD_ACCESS_KEY_ID" in creds.source


def test_from_env_terraform_fallback() -> None:
    creds = Credentials.from_env(env(NCLOUD_ACCESS_KEY="tf-ak", NCLOUD_SECRET_KEY="tf-sk"))
    assert (creds.access_key, creds.secret_key) == ("tf-ak", "tf-sk")


def test_from_env_none() -> None:
    with pytest.raises(MissingCredentialsError, match="NCLOUD_ACCESS_KEY_ID"):
        Credentials.from_env({})


def test_from_env_half_pair_is_an_error_not_a_fallback() -> None:
    with pytest.raises(MissingCredentialsError, match="half a key pair") as info:
        Credentials.from_env(env(NCLOUD_ACCESS_KEY_ID="ak"))
    assert "NCLOUD_SECRET_ACCESS_KEY" in str(info.value)
    with pytest.raises(MissingCredentialsError, match="NCLOUD_ACCESS_KEY_ID"):
        Credentials.from_env(env(NCLOUD_SECRET_KEY=SECRET))


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", "os-ak")
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "os-sk")
    assert Credentials.from_env().access_key == "os-ak"


CONFIG = f"""\
[DEFAULT]
ncloud_access_key_id = default-ak
ncloud_secret_access_key = {SECRET}
ncloud_api_url = https://ncloud.apigw.ntruss.com

[prod]
ncloud_access_key_id=prod-ak
ncloud_secret_access_key=prod==sk==

[half]
ncloud_access_key_id = half-ak
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "configure"
    path.write_text(CONFIG)
    return path


def test_config_default_profile(config: Path) -> None:
    creds = Credentials.from_config_file(config, environ={})
    assert (creds.access_key, creds.secret_key) == ("default-ak", SECRET)
    assert creds.api_url == "https://ncloud.apigw.ntruss.com"
    assert "[DEFAULT]" in creds.source


def test_config_named_profile_keeps_equals_signs(config: Path) -> None:
    creds = Credentials.from_config_file(config, "prod", environ={})
    assert (creds.access_key, creds.secret_key) == ("prod-ak", "prod==sk==")
    assert creds.api_url is None  # not inherited from [DEFAULT]


def test_config_profile_from_env_var(config: Path) -> None:
    creds = Credentials.from_config_file(config, environ={"NCLOUD_PROFILE": "prod"})
    assert creds.access_key == "prod-ak"


def test_config_profile_lacking_a_key_does_not_borrow_default(config: Path) -> None:
    with pytest.raises(MissingCredentialsError, match="ncloud_secret_access_key"):
        Credentials.from_config_file(config, "half", environ={})


def test_config_unknown_profile_lists_known(config: Path) -> None:
    with pytest.raises(MissingCredentialsError, match=r"'nope'.*DEFAULT, prod, half"):
        Credentials.from_config_file(config, "nope", environ={})


def test_config_without_section_header(tmp_path: Path) -> None:
    path = tmp_path / "configure"
    path.write_text(f"ncloud_access_key_id = bare-ak\nncloud_secret_access_key = {SECRET}\n")
    creds = Credentials.from_config_file(path, environ={})
    assert (creds.access_key, creds.secret_key) == ("bare-ak", SECRET)


def test_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentialsError, match="does not exist"):
        Credentials.from_config_file(tmp_path / "nope", environ={})


def test_config_garbage_never_quotes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "configure"
    path.write_text("[DEFAULT]\nhunter2-secret-pasted-alone\n")
    with pytest.raises(MissingCredentialsError, match="not a valid configure file") as info:
        Credentials.from_config_file(path, environ={})
    assert "hunter2" not in str(info.value)


def test_config_default_path_is_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ncloud").mkdir()
    (tmp_path / ".ncloud" / "configure").write_text(CONFIG)
    assert Credentials.from_config_file(environ={}).access_key == "default-ak"


def test_resolve_env_before_file(config: Path) -> None:
    environ = {
        "NCLOUD_ACCESS_KEY": "env-ak",
        "NCLOUD_SECRET_KEY": "env-sk",
        "NCLOUD_PROFILE": "prod",
    }
    assert Credentials.resolve(config_path=config, environ=environ).access_key == "env-ak"


def test_resolve_explicit_profile_skips_env(config: Path) -> None:
    environ = {"NCLOUD_ACCESS_KEY": "env-ak", "NCLOUD_SECRET_KEY": "env-sk"}
    creds = Credentials.resolve(profile="prod", config_path=config, environ=environ)
    assert creds.access_key == "prod-ak"


def test_resolve_file_with_profile_env(config: Path) -> None:
    creds = Credentials.resolve(config_path=config, environ={"NCLOUD_PROFILE": "prod"})
    assert creds.access_key == "prod-ak"


def test_resolve_nothing_names_every_place(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentialsError) as info:
        Credentials.resolve(config_path=tmp_path / "configure", environ={})
    message = str(info.value)
    for place in ("NCLOUD_ACCESS_KEY_ID", "NCLOUD_SECRET_KEY", str(tmp_path / "configure")):
        assert place in message


def test_resolve_uses_real_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("NCLOUD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(MissingCredentialsError, match=r"\.ncloud"):
        Credentials.resolve()
