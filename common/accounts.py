"""Staff accounts: argon2 password hashes, roles, and authentication that leaks nothing.

Authentication always runs one argon2 verification, against a dummy hash when the e-mail is
unknown, so the response time does not reveal which e-mail addresses have accounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from common.account_tables import LoginFailure, StaffUser
from common.db import utcnow
from common.errors import Conflict, InvalidInput, NotFound

ROLES = ("agent", "support_lead", "marketer", "admin")
ROLE_ALIASES = {"staff": "agent"}  # the role's name before 0005; `--role staff` still works
GRANTS = ("read_transcripts",)  # extra rights an admin can give one account (a marketer reading transcripts)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("keepcart-dummy-password-for-timing")


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    role: str
    active: bool
    session_version: int
    created_at: datetime
    last_login_at: datetime | None
    grants: tuple[str, ...] = ()


def _info(row: StaffUser) -> UserInfo:
    return UserInfo(row.id, row.email, row.role, row.active, row.session_version, row.created_at, row.last_login_at,
                    tuple(row.grants or ()))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password: must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"password: must be at most {MAX_PASSWORD} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_user(session: Session, email: str, password: str, role: str) -> UserInfo:
    """A new active account; Conflict when the e-mail is taken."""
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(f"email: {email!r} is not an e-mail address")
    role = ROLE_ALIASES.get(role, role)
    if role not in ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(ROLES)}")
    check_password_strength(password)
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} already exists")
    row = StaffUser(email=email, password_hash=hash_password(password), role=role, active=True, session_version=1,
                    created_at=utcnow(), grants=[])
    session.add(row)
    session.flush()
    return _info(row)


def list_users(session: Session) -> list[UserInfo]:
    return [_info(r) for r in session.scalars(select(StaffUser).order_by(StaffUser.id))]


def get_user(session: Session, user_id: int) -> UserInfo:
    row = session.get(StaffUser, user_id)
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return _info(row)


def authenticate(session: Session, email: str, password: str, now: datetime | None = None) -> UserInfo | None:
    """The active user with these credentials, or None, in the same time whichever part was wrong."""
    row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    ok = verify_password(row.password_hash if row is not None else _DUMMY_HASH, password[:MAX_PASSWORD])
    if row is None or not ok or not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    row.last_login_at = now or utcnow()
    session.flush()
    return _info(row)


def revoke_sessions(session: Session, user_id: int) -> None:
    """Invalidate every token issued to the user so far (logout, password change, deactivation)."""
    session.execute(update(StaffUser).where(StaffUser.id == user_id)
                    .values(session_version=StaffUser.session_version + 1))


def set_active(session: Session, email: str, active: bool) -> UserInfo:
    row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    if row is None:
        raise NotFound(f"no user with e-mail {normalise_email(email)}")
    row.active = active
    row.session_version += 1
    session.flush()
    return _info(row)


def set_password(session: Session, email: str, password: str) -> UserInfo:
    row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    if row is None:
        raise NotFound(f"no user with e-mail {normalise_email(email)}")
    check_password_strength(password)
    row.password_hash = hash_password(password)
    row.session_version += 1
    session.flush()
    return _info(row)


def set_grants(session: Session, email: str, grants: list[str]) -> UserInfo:
    """Replace an account's extra rights; its sessions end so the next sign-in carries the new rights."""
    unknown = sorted(set(grants) - set(GRANTS))
    if unknown:
        raise InvalidInput(f"grants: unknown {', '.join(unknown)} (known: {', '.join(GRANTS)})")
    row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    if row is None:
        raise NotFound(f"no user with e-mail {normalise_email(email)}")
    row.grants = sorted(set(grants))
    row.session_version += 1
    session.flush()
    return _info(row)


def login_failures(session: Session, key: str, since: datetime, exclude: list[int] | None = None) -> list[datetime]:
    """When sign-ins were tried and not (yet) cleared under `key` since `since`, oldest first."""
    query = select(LoginFailure.at).where(LoginFailure.key == key, LoginFailure.at >= since)
    if exclude:
        query = query.where(LoginFailure.id.not_in(exclude))
    return list(session.scalars(query.order_by(LoginFailure.at)))


def reserve_login_attempt(session: Session, keys: list[str], now: datetime, forget_before: datetime) -> list[int]:
    """Count an attempt under each key before the password is checked; the ids let it be cleared on success.

    Counting first is what makes the throttle atomic: every attempt that goes on to check a password
    has its row committed before it counts, so N parallel attempts can never all see "under the limit".
    """
    session.execute(delete(LoginFailure).where(LoginFailure.at < forget_before))
    rows = [LoginFailure(key=key, at=now) for key in keys]
    session.add_all(rows)
    session.flush()
    return [r.id for r in rows]


def forget_login_attempts(session: Session, ids: list[int]) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))


def clear_login_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.key == key))
