"""Encryption at rest of the personal fields of a relayed situation.

The key comes from ``MAILLAGE_DATA_KEY``: one or more Fernet keys (url-safe base64 of 32
bytes), comma-separated, newest first. The newest encrypts; every key decrypts, so that a
key can be rotated (``rotate`` re-encrypts a token under the newest key). The key is never
stored in the database. ``cryptography``'s Fernet: AES-128-CBC with an HMAC-SHA256, a
timestamp and a random IV per value.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DataKeyError(ValueError):
    """The data key is missing or malformed (French message, one line for the operator)."""


class DataCipher:
    """Encrypts and decrypts the personal fields with the configured keys."""

    def __init__(self, keys: str):
        parts = [part.strip() for part in (keys or "").split(",") if part.strip()]
        if not parts:
            raise DataKeyError("MAILLAGE_DATA_KEY est vide : une clé Fernet au moins est nécessaire.")
        fernets = []
        for index, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise DataKeyError(
                    f"MAILLAGE_DATA_KEY : la clé n° {index} n'est pas une clé Fernet (base64 url de 32 octets ; "
                    "en créer une : maillage generate-data-key)") from None
        self._cipher = MultiFernet(fernets)

    def encrypt(self, text: str | None) -> str | None:
        """The encrypted token of a text (None stays None)."""
        if text is None:
            return None
        return self._cipher.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        """The text of a token (None stays None); ``DataKeyError`` when no key opens it."""
        if token is None:
            return None
        try:
            return self._cipher.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise DataKeyError("donnée chiffrée illisible avec les clés de MAILLAGE_DATA_KEY "
                               "(clé retirée trop tôt lors d'une rotation ?)") from None

    def rotate(self, token: str | None) -> str | None:
        """The token re-encrypted under the newest key."""
        return None if token is None else self._cipher.rotate(token.encode("ascii")).decode("ascii")


def generate_key() -> str:
    """A new random Fernet key."""
    return Fernet.generate_key().decode("ascii")
