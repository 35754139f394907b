"""Domain errors. They carry no HTTP codes: `web/errors.py` maps them in one table."""

from __future__ import annotations


class KeepcartError(Exception):
    """Base of every error Keepcart raises on purpose (as opposed to a bug)."""


class NotFound(KeepcartError):
    """The thing asked for does not exist, or the caller may not know it exists."""


class Forbidden(KeepcartError):
    """The caller is known but may not do this."""


class Unauthorized(KeepcartError):
    """The caller did not prove who they are (missing, bad or expired token)."""


class InvalidInput(KeepcartError):
    """Input that can never succeed as given; the message says what to fix."""


class Conflict(KeepcartError):
    """The request clashes with the current state (e.g. cancelling a shipped order)."""


class DataFileError(InvalidInput):
    """A bad row or field in a user-supplied file; always names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path, self.line, self.detail = str(path), line, message
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class DataFileErrors(InvalidInput):
    """Several bad rows at once, so a user can fix a file in one pass."""

    def __init__(self, errors: list[DataFileError]) -> None:
        self.errors = errors
        shown = "\n".join(str(e) for e in errors[:50])
        more = f"\n... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} error(s):\n{shown}{more}")
