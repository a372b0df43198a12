"""Pulling transactions and master data from the team's own database (`recbot sync`):

- `config`: the sources file (YAML), `${VAR}` expansion from the environment
- `source`: connecting to a source and streaming a query in chunks, each failure one line
- `mysql_stream`, `mysql_reader`: a MySQL/MariaDB source's transactions read by asyncmy in a
  reader process, handed over as Arrow batches through a pipe (flat memory)
- `arrow_source`: the same read by connectorx (`reader: connectorx`)
- `rows`: turning a source's columns into what the import checks read, cancelled lines apart
- `masters`: customers, products and reps from their queries (the import's checks and upserts)
- `apply`: one run, in one database transaction: checks, upserts by line id, the watermark
- `runs`: the sync_runs and sync_rejects records: last watermark, failures, rejects

Nothing here imports pandas at package level, so the scheduler may read `runs`.
"""
