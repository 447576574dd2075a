"""The school return contract. ``v1`` is the version in force."""

from sendwatch.contract.v1 import CONTRACT, VERSION

__all__ = ["CONTRACT", "VERSION"]
