"""Imports the modules that add operations to ``eduplus.governance.api.router``."""
from eduplus.governance import api_golden  # noqa: E402, F401
