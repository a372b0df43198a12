"""What an import reports: counts, the rejected lines with their reasons, and the rejects file."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.errors import RecbotError


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    path: Path
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    customers_created: int = 0
    products_created: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    rejects_path: Path | None = None
    already_imported_at: datetime | None = None
    batch_id: int | None = None


@dataclass
class UpsertReport(ImportReport):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    assignments: int = 0
    notes: list[str] = field(default_factory=list)


class ImportRejected(RecbotError):
    """Bad rows aborted the import; nothing was written. `report` lists them."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(
            f"{report.path.name}: {report.rows_rejected} of {report.rows_read} rows are invalid; "
            "nothing was imported (fix them, or use --skip-invalid to import the valid rows)"
        )


class RejectsFile:
    """A CSV of rejected lines (line, reason), written as the import goes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(["line", "reason"])

    def write(self, rejections: list[Rejection]) -> None:
        self.writer.writerows((r.line, r.reason) for r in rejections)

    def close(self) -> None:
        self.handle.close()
