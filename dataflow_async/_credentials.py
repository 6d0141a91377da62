"""Access key / secret key pairs, found the way NAVER Cloud's own tools find them."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from ._errors import MissingCredentialsError

__all__ = ["Credentials"]

ACCESS_KEY_VARS = ("NCLOUD_ACCESS_KEY_ID", "NCLOUD_ACCESS_KEY")
SECRET_KEY_VARS = ("NCLOUD_SECRET_ACCESS_KEY", "NCLOUD_SECRET_KEY")
PROFILE_VAR = "NCLOUD_PROFILE"
DEFAULT_PROFILE = "DEFAULT"
# A section name no file uses, so that [DEFAULT] is an ordinary profile and its
# keys do not leak into named profiles (a profile is a whole pair or nothing).
_NO_DEFAULT_SECTION = "\x00dataflow-async-no-default"


def default_config_path() -> Path:
    """``~/.ncloud/configure``, the file the ncloud CLI writes."""
    return Path.home() / ".ncloud" / "configure"


def _mask(value: str) -> str:
    return f"{value[:4]}***" if len(value) > 8 else "***"


def _check_key(instance: Credentials, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")
    if value != value.strip() or any(c in value for c in "\r\n"):
        raise ValueError(f"{attribute.name} must not contain leading/trailing spaces or newlines")
    if not value.isascii():
        raise ValueError(f"{attribute.name} must be ASCII")


@attrs.frozen(repr=False)
class Credentials:
    """An NCP API key pair. The secret (and most of the access key) never shows in a repr.

    ``api_url`` is the ``ncloud_api_url`` of a configure file, kept for reference; the
    Data Flow endpoint is chosen by ``DataFlowClient(base_url=...)``. ``source`` says
    where the pair was found (``"explicit"``, an environment variable, or a file).
    """

    access_key: str = attrs.field(validator=_check_key)
    secret_key: str = attrs.field(validator=_check_key)
    api_url: str | None = attrs.field(default=None, kw_only=True)
    source: str = attrs.field(default="explicit", kw_only=True, eq=False)

    @property
    def masked_access_key(self) -> str:
        """The access key with all but its first four characters hidden."""
        return _mask(self.access_key)

    def __repr__(self) -> str:
        return (
            f"Credentials(access_key={self.masked_access_key!r}, secret_key='***', "
            f"source={self.source!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read ``NCLOUD_ACCESS_KEY_ID`` / ``NCLOUD_SECRET_ACCESS_KEY`` (the SDKs' names),
        each falling back to ``NCLOUD_ACCESS_KEY`` / ``NCLOUD_SECRET_KEY`` (Terraform's).

        Raises :class:`MissingCredentialsError` when neither key is set, or only one is.
        """
        found = _from_env(os.environ if environ is None else environ)
        if found is None:
            raise MissingCredentialsError(
                "no credentials in the environment: set NCLOUD_ACCESS_KEY_ID and "
                "NCLOUD_SECRET_ACCESS_KEY (or NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY)"
            )
        return found

    @classmethod
    def from_config_file(
        cls,
        path: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> Credentials:
        """Read a pair from an ncloud configure file (``~/.ncloud/configure`` by default).

        The profile is ``profile``, else ``$NCLOUD_PROFILE``, else ``DEFAULT``. Files
        without any section header are read as ``[DEFAULT]``. Keys:
        ``ncloud_access_key_id``, ``ncloud_secret_access_key``, optional ``ncloud_api_url``.
        """
        env = os.environ if environ is None else environ
        file = Path(path) if path is not None else default_config_path()
        name = profile or env.get(PROFILE_VAR) or DEFAULT_PROFILE
        return _from_file(file, name)

    @classmethod
    def resolve(
        cls,
        *,
        profile: str | None = None,
        config_path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Credentials:
        """Find a pair as NAVER Cloud's tools do: the environment, then the configure file.

        The file's profile is ``profile``, else ``$NCLOUD_PROFILE``, else ``DEFAULT``. An
        explicit ``profile`` argument skips the environment keys, since naming a profile
        means that profile is wanted. Raises
        :class:`MissingCredentialsError` naming every place looked at when none has a pair.
        """
        env = os.environ if environ is None else environ
        file = Path(config_path) if config_path is not None else default_config_path()
        if profile is None:
            found = _from_env(env)
            if found is not None:
                return found
        if not file.exists():
            raise MissingCredentialsError(
                "no NCP credentials found: pass Credentials(access_key, secret_key), set "
                "NCLOUD_ACCESS_KEY_ID and NCLOUD_SECRET_ACCESS_KEY (or NCLOUD_ACCESS_KEY and "
                f"NCLOUD_SECRET_KEY), or write them to {file} "
                "(keys ncloud_access_key_id, ncloud_secret_access_key)"
            )
        return _from_file(file, profile or env.get(PROFILE_VAR) or DEFAULT_PROFILE)


def _from_env(env: Mapping[str, str]) -> Credentials | None:
    access = next((env[v] for v in ACCESS_KEY_VARS if env.get(v)), None)
    secret = next((env[v] for v in SECRET_KEY_VARS if env.get(v)), None)
    if access is None and secret is None:
        return None
    if access is None or secret is None:
        have, missing = (
            (ACCESS_KEY_VARS, SECRET_KEY_VARS)
            if secret is None
            else (SECRET_KEY_VARS, ACCESS_KEY_VARS)
        )
        raise MissingCredentialsError(
            f"half a key pair in the environment: {' or '.join(have)} is set but neither "
            f"{' nor '.join(missing)} is"
        )
    source = next(v for v in ACCESS_KEY_VARS if env.get(v))
    return Credentials(access.strip(), secret.strip(), source=f"environment ({source})")


def _from_file(file: Path, profile: str) -> Credentials:
    parser = configparser.ConfigParser(
        default_section=_NO_DEFAULT_SECTION, interpolation=None, delimiters=("=",)
    )
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MissingCredentialsError(f"credentials file {file} does not exist") from None
    except OSError as exc:
        raise MissingCredentialsError(
            f"cannot read credentials file {file}: {exc.strerror}"
        ) from None
    if not text.lstrip().startswith("["):
        text = f"[{DEFAULT_PROFILE}]\n{text}"
    try:
        parser.read_string(text, source=str(file))
    except configparser.Error as exc:
        # The parser's message quotes lines of the file, which may hold the secret.
        raise MissingCredentialsError(
            f"credentials file {file} is not a valid configure file ({type(exc).__name__})"
        ) from None
    if not parser.has_section(profile):
        known = ", ".join(parser.sections()) or "none"
        raise MissingCredentialsError(
            f"profile {profile!r} not found in {file} (profiles there: {known})"
        )
    section = parser[profile]
    access = section.get("ncloud_access_key_id", "").strip()
    secret = section.get("ncloud_secret_access_key", "").strip()
    missing = [
        key
        for key, value in (("ncloud_access_key_id", access), ("ncloud_secret_access_key", secret))
        if not value
    ]
    if missing:
        raise MissingCredentialsError(
            f"profile {profile!r} in {file} lacks {' and '.join(missing)}"
        )
    api_url = section.get("ncloud_api_url", "").strip() or None
    return Credentials(access, secret, api_url=api_url, source=f"{file} [{profile}]")
