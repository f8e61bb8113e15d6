"""Accounts: users with hashed passwords (argon2) and API tokens (only hashes stored)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from zxcvbn import zxcvbn

from directory.models import utcnow
from workspace.models import ROLES, ApiToken, User

_HASHER = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
# Verifying against a fixed hash when the e-mail is unknown keeps timings alike
# (no user enumeration through response time).
_DUMMY_HASH = _HASHER.hash("maillage-dummy-password")


class AccountError(ValueError):
    """Invalid account data; the message is French."""


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHER.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


MAX_EMAIL = 254  # the column's length (RFC 5321's limit)
MIN_STRENGTH = 3  # zxcvbn's score, 0–4: 3 is « safely unguessable » for an online attack


def check_password_strength(password: str, email: str = "") -> None:
    """Refuse a short password, and one that common-password lists, repetitions, sequences
    or the e-mail itself make easy to guess (zxcvbn, the estimator used by Dropbox)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"mot de passe trop court ({MIN_PASSWORD} caractères au moins)")
    if zxcvbn(password, user_inputs=[email, *email.split("@")])["score"] < MIN_STRENGTH:
        raise AccountError("mot de passe trop facile à deviner (mot de passe courant, répétition, suite "
                           "ou adresse e-mail) : choisissez plusieurs mots sans lien entre eux")


def create_user(session: Session, email: str, password: str, role: str) -> User:
    """Create an account (the caller commits)."""
    email = email.strip().lower()
    if len(email) > MAX_EMAIL:
        raise AccountError(f"adresse e-mail trop longue ({MAX_EMAIL} caractères au plus)")
    if not _EMAIL.match(email):
        raise AccountError(f"adresse e-mail invalide « {email} »")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu « {role} » ({', '.join(ROLES)})")
    check_password_strength(password, email)
    if session.exec(select(User).where(User.email == email)).first():
        raise AccountError(f"un compte existe déjà pour {email}")
    user = User(email=email, password_hash=hash_password(password), role=role)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # Another request created the same account between the check and the insert.
        session.rollback()
        raise AccountError(f"un compte existe déjà pour {email}") from None
    return user


def find_user(session: Session, email: str) -> User:
    """The account of an e-mail address; ``AccountError`` when there is none."""
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None:
        raise AccountError(f"aucun compte pour {email}")
    return user


def end_sessions(user: User) -> None:
    """End every open session of a user (logout everywhere); the caller commits."""
    user.session_generation = (user.session_generation or 0) + 1


def set_active(session: Session, email: str, active: bool) -> User:
    """Deactivate (every session ended, tokens refused) or reactivate an account; the caller commits."""
    user = find_user(session, email)
    user.active = active
    end_sessions(user)
    session.add(user)
    return user


def revoke_tokens(session: Session, email: str, label: str | None = None) -> int:
    """Revoke a user's API tokens (those with ``label`` only, when given); return how many."""
    user = find_user(session, email)
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked == False)  # noqa: E712
    if label is not None:
        query = query.where(ApiToken.label == label)
    tokens = list(session.exec(query))
    for token in tokens:
        token.revoked = True
        session.add(token)
    return len(tokens)


def active_tokens(session: Session) -> list[tuple[ApiToken, User]]:
    """Tokens not revoked, with their owner (the clear token is never kept)."""
    rows = session.exec(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                        .where(ApiToken.revoked == False).order_by(User.email, ApiToken.created_at))  # noqa: E712
    return list(rows)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way)."""
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None or not user.active:
        check_password(_DUMMY_HASH, password or "")
        return None
    return user if check_password(user.password_hash, password or "") else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DAYS = 90  # an API token's default life


def create_token(session: Session, user: User, label: str, days: int = TOKEN_DAYS) -> str:
    """A new API token for a user, valid ``days`` days; the clear token is returned once,
    only its hash is kept."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_digest(token), user_id=user.id, label=label[:120],
                         expires_at=utcnow() + dt.timedelta(days=days)))
    session.flush()
    return token


def token_expired(row: ApiToken, now: dt.datetime | None = None) -> bool:
    """True once a token's life is over."""
    now = now or utcnow()
    expires = row.expires_at or (row.created_at + dt.timedelta(days=TOKEN_DAYS))
    if expires.tzinfo is None and now.tzinfo is not None:
        expires = expires.replace(tzinfo=now.tzinfo)
    return now >= expires


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning a valid token, or None."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(token or ""),
                                              ApiToken.revoked == False)).first()  # noqa: E712
    if row is None or token_expired(row):
        return None
    user = session.get(User, row.user_id)
    return user if user and user.active else None
