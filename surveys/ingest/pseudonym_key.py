"""Where the pseudonymisation key lives: a key file outside the store, never inside it or in any result.

The tokens of :mod:`surveys.ingest.privacy` are HMAC-SHA256 under a secret key. Whoever holds the key *and* the
tokens can test a guess (all of IPv4 is about 14 core-hours in pure Python, minutes on a GPU; a phone
number range likewise), so the key must not travel with the data: it is kept in a key file of its own,
which the response store only names by its fingerprint.

The key file is found, in this order:

1. the path given by the caller (``Store(..., key_file=...)``, the ``--key-file`` option of the commands);
2. the environment variable :data:`KEY_FILE_VARIABLE` (``SURVEYS_KEY_FILE``);
3. a per-user default outside any project folder (:func:`default_key_file`):
   ``$XDG_CONFIG_HOME/surveys/pseudonym.key`` (``~/.config/…`` when unset) on Linux,
   ``~/Library/Application Support/surveys/pseudonym.key`` on macOS, ``%APPDATA%\\surveys\\pseudonym.key``
   on Windows.

A missing key file is created with 32 random bytes, readable by its owner only (``0600``, its folder
``0700``), and a :class:`KeyFileWarning` says where; a key file in the same folder as the store it serves
is refused (whoever is given the folder would get both). The file holds the key as 64 hex digits on one
line; lines starting with ``#`` are comments.

The store records :func:`fingerprint` (an HMAC of a constant under the key: it identifies the key without
revealing anything that helps to test a guess) and refuses a key file holding another key, since tokens
made under two keys cannot be compared (duplicates across files would go unseen).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pathlib
import secrets
import sys
import warnings

from surveys.errors import StoreError

__all__ = ["KEY_FILE_VARIABLE", "KeyFileWarning", "default_key_file", "key_file_path", "load_key", "save_key",
           "fingerprint", "check_key_place"]

KEY_FILE_VARIABLE = "SURVEYS_KEY_FILE"
_KEY_BYTES = 32
_MINIMUM_BYTES = 16
_HEADER = ("# surveys pseudonymisation key (HMAC-SHA256). Keep it private and backed up, apart from the data:\n"
           "# with it, a token can be tested against a guessed phone number or IP; without it, files ingested\n"
           "# later cannot be matched with earlier ones.\n")


class KeyFileWarning(UserWarning):
    """A key file was created, or a store's key was moved out of the store into a key file."""


def default_key_file() -> pathlib.Path:
    """The per-user key file (see the module docstring): in the user's configuration folder, outside any
    project folder."""
    if sys.platform.startswith("win"):
        base = pathlib.Path(os.environ.get("APPDATA") or pathlib.Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = pathlib.Path.home() / "Library" / "Application Support"
    else:
        base = pathlib.Path(os.environ.get("XDG_CONFIG_HOME") or pathlib.Path.home() / ".config")
    return base / "surveys" / "pseudonym.key"


def key_file_path(key_file: str | os.PathLike | None = None) -> pathlib.Path:
    """The key file to use: ``key_file``, else ``$SURVEYS_KEY_FILE``, else :func:`default_key_file`."""
    if key_file is not None and str(key_file).strip():
        return pathlib.Path(key_file).expanduser()
    variable = os.environ.get(KEY_FILE_VARIABLE, "").strip()
    return pathlib.Path(variable).expanduser() if variable else default_key_file()


def fingerprint(key: bytes) -> str:
    """16 hex digits identifying ``key`` (HMAC of a constant: no help in testing a guessed identifier)."""
    return hmac.new(key, b"surveys key fingerprint", hashlib.sha256).hexdigest()[:16]


def _parse(text: str, path: pathlib.Path) -> bytes:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    try:
        key = bytes.fromhex(lines[0]) if len(lines) == 1 else b""
    except ValueError:
        key = b""
    if len(key) < _MINIMUM_BYTES:
        raise StoreError(f"the key file {path} does not hold a pseudonymisation key (expected one line of at least "
                         f"{2 * _MINIMUM_BYTES} hex digits); restore the file from its backup, or point --key-file / "
                         f"{KEY_FILE_VARIABLE} to the right key file")
    return key


def _read(path: pathlib.Path) -> bytes:
    try:
        return _parse(path.read_text(encoding="ascii", errors="replace"), path)
    except IsADirectoryError:
        raise StoreError(f"the key file {path} is a folder; expected a file (e.g. {path / 'pseudonym.key'})") from None
    except OSError as error:
        raise StoreError(f"cannot read the key file {path} ({error.strerror or error}); check its permissions, or "
                         f"point --key-file / {KEY_FILE_VARIABLE} to another file") from None


def save_key(path: pathlib.Path, key: bytes) -> bool:
    """Write ``key`` to a new key file at ``path`` (owner-only permissions); False when the file exists already
    (another process made it first: read that one)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as error:
        raise StoreError(f"cannot create the key file {path} ({error.strerror or error}); choose a writable place "
                         f"with --key-file or {KEY_FILE_VARIABLE}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(_HEADER + key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return True


def check_key_place(path: pathlib.Path, store: pathlib.Path) -> None:
    """Refuse a key file in the folder of the store it serves (whoever is given the folder gets both)."""
    if path.expanduser().resolve().parent == store.resolve().parent:
        raise StoreError(f"the key file {path} is in the folder of the store {store.name}; whoever is given the "
                         "folder would hold both the tokens and the key that tests guesses against them; keep the "
                         f"key elsewhere (--key-file or {KEY_FILE_VARIABLE})")


def load_key(path: pathlib.Path, *, store: pathlib.Path | None = None) -> bytes:
    """The key in ``path``, created (random) when the file does not exist yet. ``store``: the store the key
    serves; a key file in the store's own folder is refused."""
    if store is not None:
        check_key_place(path, store)
    if not path.exists():
        key = secrets.token_bytes(_KEY_BYTES)
        if save_key(path, key):
            warnings.warn(KeyFileWarning(
                f"created the pseudonymisation key file {path} (owner-only); keep it private and backed up, apart "
                "from the data: later files are matched with earlier ones only under the same key"), stacklevel=3)
            return key
    return _read(path)
