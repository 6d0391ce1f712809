"""Deploy failures: one line each, saying what failed, never a secret."""

from __future__ import annotations

import re


class DeployError(Exception):
    """A deploy step failed. The message is one line an operator can act on."""


_USERINFO = re.compile(r"(https?://)[^/@\s]+@")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """The text without credentials: userinfo in URLs and any known secret value."""
    text = _USERINFO.sub(r"\1***@", str(text))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())


def excerpt(text: object, secrets: tuple[str, ...] = (), limit: int = 200) -> str:
    """The start of what a server said, on one line and without credentials. A server that is
    not the one expected answers with a whole web page; its first words are enough to tell
    which. Secrets go before the cut, so none is left half there."""
    text = redact(str(text), secrets)
    return text if len(text) <= limit else text[:limit] + "…"
