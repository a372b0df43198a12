"""Importing CSV files into the database, one module per job:

- `read`: opening plain or gzipped CSV, the header and --map, chunks with line numbers, SHA-256
- `check`: row validation, each bad row with its reason
- `report`: what an import reports (counts, rejections) and the rejects file
- `write`: transactions into the database (ids resolved, COPY / executemany, import_batches)
- `lines`: lines that carry their source's line id (upserts; a first load as plain inserts)
- `bulk_load`: a first load into an empty table on PostgreSQL, its indexes built at the end
- `upsert`: customers, products and reps into the database
- `transactions`, `masters`: the two imports, end to end
"""

from db.imports.masters import import_masters
from db.imports.read import parse_column_map
from db.imports.report import ImportRejected, ImportReport, Rejection, UpsertReport
from db.imports.transactions import import_transactions

__all__ = [
    "ImportRejected",
    "ImportReport",
    "Rejection",
    "UpsertReport",
    "import_masters",
    "import_transactions",
    "parse_column_map",
]
