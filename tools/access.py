"""Roles and what each may see. Enforced by the tools themselves, never by a prompt."""

from __future__ import annotations

from assistant.errors import PermissionDenied, UserError

ROLES = ("marketer", "support", "admin")

# Contact details and identity: support and admin see them, marketers never do.
CONTACT_FIELDS = ("name", "email", "phone", "city")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}", hint="roles are: " + ", ".join(ROLES))
    return role


def can_see_contact(role: str) -> bool:
    return role in ("support", "admin")


def mask_customer(record: dict, role: str) -> dict:
    """The customer record with contact fields removed for roles that may not see them."""
    if can_see_contact(role):
        return dict(record)
    return {k: v for k, v in record.items() if k not in CONTACT_FIELDS}


def require(role: str, *allowed: str, what: str) -> None:
    if role not in allowed:
        raise PermissionDenied(
            f"the {role} role may not {what}", hint="allowed roles: " + ", ".join(allowed)
        )
