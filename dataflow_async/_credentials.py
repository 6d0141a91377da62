"""Access key / secret key pairs, found the way NAVER Cloud's own tools find them."""

from __future__ import annotations

import configparser
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

import attrs

from ._errors import MissingCredentialsError
from ._logging import logger

__all__ = ["Credentials"]

ACCESS_KEY_VARS = ("NCLOUD_ACCESS_KEY_ID", "NCLOUD_ACCESS_KEY")
SECRET_KEY_VARS = ("NCLOUD_SECRET_ACCESS_KEY", "NCLOUD_SECRET_KEY")
PROFILE_VAR = "NCLOUD_PROFILE"
DEFAULT_PROFILE = "DEFAULT"
# A section name no file uses, so that [DEFAULT] is an ordinary profile and its
# keys do not leak into named profiles (a profile is a whole pair or nothing).
_NO_DEFAULT_SECTION = "\x00dataflow-async-no-default"
# C0 controls, DEL and C1 controls: h11 refuses them in a header value, and a retried
# refusal once quoted the whole key; they are never part of a real key.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_MAX_CONFIG_BYTES = 1 << 20  # configure files are a few hundred bytes
_ENV_HINT = "NCLOUD_ACCESS_KEY_ID and NCLOUD_SECRET_ACCESS_KEY"
_ENV_PLACES = (
    "the environment (NCLOUD_ACCESS_KEY_ID / NCLOUD_SECRET_ACCESS_KEY, "
    "NCLOUD_ACCESS_KEY / NCLOUD_SECRET_KEY)"
)
_warned_files: set[tuple[str, int]] = set()


def default_config_path() -> Path:
    """``~/.ncloud/configure``, the file the ncloud CLI writes."""
    return Path.home() / ".ncloud" / "configure"


def _mask(value: str) -> str:
    """The first four characters of a long key (non-printable ones as ``?``), then ``***``."""
    if len(value) <= 8:
        return "***"
    shown = "".join(c if c.isascii() and c.isprintable() else "?" for c in value[:4])
    return f"{shown}***"


def _check_key(instance: Credentials, attribute: attrs.Attribute[str], value: str) -> None:
    name = attribute.name
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    # Messages name the access key only masked, and nothing of the secret.
    shown = f"{name} {_mask(value)!r}" if name == "access_key" else name
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    control = _CONTROL.search(value)
    if control is not None:
        where = f" at position {control.start()}" if name == "access_key" else ""
        raise ValueError(
            f"{shown} contains a control character (U+{ord(control.group()):04X}{where})"
        )
    if value != value.strip():
        raise ValueError(f"{shown} must not have leading or trailing spaces")
    if not value.isascii():
        raise ValueError(f"{shown} must be ASCII")


def check_profile_name(name: object, source: str = "profile") -> str:
    """``name`` if it can name a configure-file profile; ``TypeError``/``ValueError`` if not.

    A name is a non-empty str without control characters or lone surrogates (which no
    UTF-8 file can hold, and which cannot be printed).
    """
    if not isinstance(name, str):
        raise TypeError(f"{source} must be a str, not {type(name).__name__}")
    if not name.strip():
        raise ValueError(f"{source} must not be empty")
    if _CONTROL.search(name) or any("\ud800" <= c <= "\udfff" for c in name):
        raise ValueError(f"{source} {name!a} holds a control character or a lone surrogate")
    return name


@attrs.frozen(repr=False)
class Credentials:
    """An NCP API key pair. The secret (and most of the access key) never shows in a repr.

    ``api_url`` is the ``ncloud_api_url`` of a configure file, kept for reference; the
    Data Flow endpoint is chosen by ``DataFlowClient(base_url=...)``. ``source`` says
    where the pair was found (``"explicit"``, an environment variable, or a file).

    Raises:
        TypeError: a key is not a str.
        ValueError: a key is empty, has leading or trailing spaces, is not ASCII, or holds
            a control character (C0, DEL or C1, such as NUL, a tab, a vertical tab, a form
            feed, CR or LF). The message shows the access key masked and nothing of the
            secret.

    Attributes:
        access_key: The access key (shown masked, see `masked_access_key`).
        secret_key: The secret key (never shown).
        api_url: The `ncloud_api_url` of a configure file, if any.
        source: Where the pair was found.
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

        Surrounding spaces, tabs and line breaks are ignored.

        Raises:
            MissingCredentialsError: neither key is set, only one is, or a value is not a
                usable key (the message names the variable, never the value).

        Args:
            environ: The variables to read; `None`: `os.environ`.

        Returns:
            The `Credentials`, with `source` naming the variables.
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
        The file must be UTF-8 (a leading byte order mark is allowed). A file that group
        or others may read is still used, with a warning on the ``dataflow_async`` logger.

        Raises:
            ValueError: ``profile`` is empty or holds a control character or a lone
                surrogate (`TypeError` if it is not a str).
            MissingCredentialsError: the file is missing, unreadable, not UTF-8, not a
                configure file, or lacks the profile or one of its keys. The message never
                quotes the file.

        Args:
            path: The file; `None`: `~/.ncloud/configure`.
            profile: The section to read; `None`: `$NCLOUD_PROFILE`, else `DEFAULT`.
            environ: The variables to read `NCLOUD_PROFILE` from; `None`: `os.environ`.

        Returns:
            The `Credentials`, with `api_url` when the file sets `ncloud_api_url`.
        """
        if profile is not None:
            check_profile_name(profile)
        env = os.environ if environ is None else environ
        file = Path(path) if path is not None else default_config_path()
        return _from_file(file, _profile(profile, env))

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
        means that profile is wanted.

        Raises:
            ValueError: ``profile`` is not a usable profile name (see `from_config_file`).
            MissingCredentialsError: no place has a pair; the message names every place
                looked at, and the variables or the file to set.

        Args:
            profile: The profile to use; given, the environment's keys are skipped.
            config_path: The configure file; `None`: `~/.ncloud/configure`.
            environ: The variables to read; `None`: `os.environ`.

        Returns:
            The first `Credentials` found.
        """
        if profile is not None:
            check_profile_name(profile)
        env = os.environ if environ is None else environ
        file = Path(config_path) if config_path is not None else default_config_path()
        if profile is None:
            found = _from_env(env)
            if found is not None:
                return found
        name = _profile(profile, env)
        if not file.exists():
            raise _nothing_found(file, name, env_checked=profile is None)
        try:
            return _from_file(file, name)
        except MissingCredentialsError as exc:
            if profile is not None:
                raise
            message = str(exc)
        # Raised outside the except block, so that nothing is chained.
        raise MissingCredentialsError(
            f"{message}; the environment has no key pair either (set {_ENV_HINT})"
        )


def _profile(profile: str | None, env: Mapping[str, str]) -> str:
    if profile is not None:
        return profile
    named = env.get(PROFILE_VAR)
    if not named:
        return DEFAULT_PROFILE
    try:
        return check_profile_name(named, PROFILE_VAR)
    except ValueError as exc:
        message = str(exc)
    raise MissingCredentialsError(message)


def _nothing_found(file: Path, profile: str, *, env_checked: bool) -> MissingCredentialsError:
    places = f"{_ENV_PLACES} or {file}" if env_checked else f"{file} (profile {profile!r})"
    env_advice = f"set {_ENV_HINT}, or " if env_checked else ""
    return MissingCredentialsError(
        f"no NCP credentials found in {places}: {env_advice}write ncloud_access_key_id and "
        f"ncloud_secret_access_key under [{profile}] in {file}"
    )


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
    # Only the whitespace a shell or an editor adds: other controls are rejected, not cut.
    blank = " \t\r\n"
    return _pair(access.strip(blank), secret.strip(blank), None, f"environment ({source})")


def _pair(access: str, secret: str, api_url: str | None, source: str) -> Credentials:
    """A checked pair; a key that is not a key is a `MissingCredentialsError` naming
    where it came from (the message shows no key)."""
    try:
        return Credentials(access, secret, api_url=api_url, source=source)
    except ValueError as exc:
        message = str(exc)
    raise MissingCredentialsError(f"unusable key pair in {source}: {message}")


def _read_config(file: Path) -> str:
    """The file's text; every failure is a `MissingCredentialsError` that quotes nothing
    of the file and chains nothing (a decoding error would hold the whole file)."""
    error: str | None = None
    try:
        with file.open("rb") as handle:
            data = handle.read(_MAX_CONFIG_BYTES + 1)
            mode = os.fstat(handle.fileno()).st_mode
    except FileNotFoundError:
        error = f"credentials file {file} does not exist"
    except OSError as exc:
        error = f"cannot read credentials file {file}: {exc.strerror or type(exc).__name__}"
    if error is not None:
        raise MissingCredentialsError(error)
    if len(data) > _MAX_CONFIG_BYTES:
        raise MissingCredentialsError(f"credentials file {file} is larger than 1 MiB")
    _warn_if_exposed(file, mode)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        error = f"credentials file {file} is not UTF-8 text (line {line})"
    if error is not None:
        raise MissingCredentialsError(error)
    return text.removeprefix("\ufeff")


def _warn_if_exposed(file: Path, mode: int) -> None:
    """Warn (once per file and mode) when group or others have any access, as ssh does."""
    # The logger, not warnings.warn: a file mode is the environment's doing, not the
    # calling code's, and programs that turn warnings into errors must still start.
    if os.name == "nt" or not stat.S_ISREG(mode) or not mode & 0o077:
        return
    key = (str(file), mode)
    if key in _warned_files:
        return
    _warned_files.add(key)
    logger.warning(
        "credentials file %s is accessible by group or others (mode %04o); "
        "restrict it with: chmod 600 %s",
        file,
        stat.S_IMODE(mode),
        file,
    )


def _from_file(file: Path, profile: str) -> Credentials:
    parser = configparser.ConfigParser(
        default_section=_NO_DEFAULT_SECTION, interpolation=None, delimiters=("=",)
    )
    text = _read_config(file)
    if not text.lstrip().startswith("["):
        text = f"[{DEFAULT_PROFILE}]\n{text}"
    error: str | None = None
    try:
        parser.read_string(text, source=str(file))
    except configparser.Error as exc:
        error = type(exc).__name__
    if error is not None:
        # Raised outside the except block: the parser's exception quotes lines of the
        # file, which may hold the secret, and would otherwise be chained.
        raise MissingCredentialsError(
            f"credentials file {file} is not a valid configure file ({error})"
        )
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
    return _pair(access, secret, api_url, f"{file} [{profile}]")
