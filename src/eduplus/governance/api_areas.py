"""Imports the modules that add operations to ``eduplus.governance.api.router``."""

from eduplus.governance import (  # noqa: F401
    api_golden,
    api_imports,
    api_quality,
    api_sharing,
)
