from tests.db.sync.fixtures import erp, mariadb_url, reader

__all__ = ["erp", "mariadb_url", "reader"]
