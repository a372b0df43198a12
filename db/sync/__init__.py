"""Pulling transactions and master data from the team's own database (`recbot sync`):

- `config`: the sources file (YAML), `${VAR}` expansion from the environment
- `source`: connecting to a source and streaming a query in chunks, each failure one line
- `rows`: turning a source's rows into the text the import checks read, cancelled lines apart
- `masters`: customers, products and reps from their queries (the import's checks and upserts)
- `apply`: one run, in one database transaction: checks, upserts by line id, the watermark
- `runs`: the sync_runs and sync_rejects records: last watermark, failures, rejects

Nothing here imports pandas at package level, so the scheduler may read `runs`.
"""
