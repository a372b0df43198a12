from tests.db.sync.fixtures import erp, mariadb_url

__all__ = ["erp", "mariadb_url"]
