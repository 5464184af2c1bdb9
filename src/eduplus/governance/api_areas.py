"""Imports the modules that add operations to ``eduplus.governance.api.router``."""
