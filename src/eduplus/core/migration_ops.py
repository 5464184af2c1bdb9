"""Helpers for hand-written migrations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations


def drop_field_indexes(app_label: str, fields: Sequence[tuple[str, str]]) -> migrations.RunPython:
    """Drop the single-column indexes of ``(model, field)`` pairs in place.

    Django's own ``AlterField(db_index=False)`` rebuilds the whole table on SQLite (a
    copy of every row: minutes for millions of source records); dropping the index is
    all the change needs. Use it as the database side of ``SeparateDatabaseAndState``
    with the ``AlterField`` operations as the state side. Unique indexes stay.
    """

    def indexes(schema_editor: Any, model: Any, column: str) -> list[str]:
        return list(schema_editor._constraint_names(model, [column], index=True, unique=False))

    def forward(apps: Any, schema_editor: Any) -> None:
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            column = model._meta.get_field(field_name).column
            for name in indexes(schema_editor, model, column):
                schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def backward(apps: Any, schema_editor: Any) -> None:
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            field = model._meta.get_field(field_name)
            if not indexes(schema_editor, model, field.column):
                schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.RunPython(forward, backward)
