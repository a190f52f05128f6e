"""E-mail addresses: trimmed and lower-cased, with a mailbox key that sees through aliases."""

from __future__ import annotations

import re

from polegraph.types.base import Cleaned, PropertyType, register

# Deliberately loose: this recognises an address as people write it, it does not enforce RFC 5322.
_SHAPE = re.compile(r"[^@\s]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+")
_ANGLE = re.compile(r"<([^<>]*@[^<>]*)>")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)

# Gmail ignores dots and everything after "+" in the mailbox name, and googlemail.com is the
# same service, so j.smith+ebay@googlemail.com reaches jsmith@gmail.com.
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_PLUS_DOMAINS = frozenset(
    {"outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "live.co.uk", "icloud.com"}
)


def _tidy(text: str) -> str:
    # Repeat until nothing changes, so that cleaning a cleaned address changes nothing.
    previous = None
    while text != previous:
        previous = text
        text = "".join(_MAILTO.sub("", text.strip().strip("<>\"'.,;")).split())
    return text


def email_parts(normalised: str) -> tuple[str, str]:
    """The mailbox name and the domain of an address (the domain is empty when there is none)."""
    local, _, domain = normalised.rpartition("@")
    return (local, domain) if local else (normalised, "")


def mailbox_key(normalised: str) -> str:
    """One key per mailbox: googlemail.com becomes gmail.com; Gmail dots and "+tags" go."""
    local, domain = email_parts(normalised)
    if domain in _GMAIL_DOMAINS:
        return local.split("+", 1)[0].replace(".", "") + "@gmail.com"
    if domain in _PLUS_DOMAINS:
        return local.split("+", 1)[0] + "@" + domain
    return normalised


class EmailType(PropertyType):
    """An e-mail address, lower-case without surrounding spaces, brackets or ``mailto:``."""

    name = "email"
    label = "E-mail address"

    def _clean(self, raw: str, text: str) -> Cleaned:
        angle = _ANGLE.search(text)
        if angle:  # "Jane Smith <jane@example.com>"
            text = angle.group(1)
        address = _tidy(text.lower())
        if not address:
            return Cleaned(raw, None, False, "no address")
        if _SHAPE.fullmatch(address) is None:
            reason = "no @" if "@" not in address else "not an e-mail address"
            return Cleaned(raw, address, False, reason)
        return Cleaned(raw, address, True)

    def compare(self, a: str, b: str) -> float:
        """1 for the same address, 0.95 for the same mailbox, 0.5 for the same name elsewhere."""
        if a == b:
            return 1.0
        if mailbox_key(a) == mailbox_key(b):
            return 0.95
        local_a, domain_a = email_parts(a)
        local_b, domain_b = email_parts(b)
        if local_a == local_b and domain_a != domain_b and len(local_a) >= 6:
            return 0.5
        return 0.0

    def specificity(self, normalised: str) -> float:
        """An address names one mailbox."""
        return 1.0 if "@" in normalised else 0.3

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """The address, its mailbox key and its domain."""
        _, domain = email_parts(normalised)
        keys = {"email": [normalised], "email_mailbox": [mailbox_key(normalised)]}
        if domain:
            keys["email_domain"] = [domain]
        return keys


EMAIL = register(EmailType())
