import pytest

from tests.db.sync.fixtures import erp, mariadb_url, off_the_reader_matrix, reader

__all__ = ["erp", "mariadb_url", "reader"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    off = [item for item in items if off_the_reader_matrix(item)]
    if off:
        config.hook.pytest_deselected(items=off)
        items[:] = [item for item in items if not off_the_reader_matrix(item)]
