"""Migration 0013 (issue 17): the index on deliverables(latest_version_id) that search's
latest-version join starts from; the model declares it too; the downgrade drops it."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

import schema
from migration_support import empty_database, migration_steps

INDEX = "ix_deliverables_latest_version_id"


def _columns(engine) -> list[str] | None:
    """The indexed columns of INDEX in the database, None when it is not there."""
    found = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("deliverables")}
    return found.get(INDEX)


def test_model_declares_the_index():
    assert [list(i.columns.keys()) for i in schema.metadata.tables["deliverables"].indexes
            if i.name == INDEX] == [["latest_version_id"]]


def test_0013_up_and_down(backend, tmp_path):
    engine, url = empty_database(backend, tmp_path, "at0012.db")
    run = migration_steps(engine, url)

    try:
        run(command.upgrade, "0012_search_rank")
        assert _columns(engine) is None
        run(command.upgrade, "0013_latest_version_index")
        assert _columns(engine) == ["latest_version_id"]
        run(command.downgrade, "0012_search_rank")
        assert _columns(engine) is None
        run(command.upgrade, "head")
        assert _columns(engine) == ["latest_version_id"]
    finally:
        run(command.upgrade, "head")  # PostgreSQL: the other tests expect the test database at head
        engine.dispose()
