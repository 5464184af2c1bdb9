"""Digital education resources (数字教育资源): catalog, upload, review, search.

Owns the textbook catalog and thematic collections, the resources with their files
(under ``MEDIA_ROOT/resources/``), their review history and the full-text index.
Imports ``core``, ``regions``, ``schools`` and ``accounts``; other apps reach resources
through ``services`` and ``selectors`` only.
"""
