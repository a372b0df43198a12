"""What an import reports: counts, the rejected lines with their reasons, and the rejects file."""

from __future__ import annotations

import csv
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from core.errors import RecbotError

# What names a rejected row: its line number in a file, or its key in a sync source.
Label = TypeVar("Label", int, str)


@dataclass(frozen=True)
class Rejection:
    line: int | str  # the line number in a file; a sync names the row by its key instead
    reason: str


@dataclass
class ImportReport:
    path: Path
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    rows_updated: int = 0  # rows with a line id that replaced an earlier row
    rows_unchanged: int = 0  # rows with a line id whose earlier row was the same
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


def check_rejects_path(rejects_path: Path, input_path: Path) -> None:
    """Refuse a rejects path that cannot be written without harm: the input file itself (also
    through a symlink or a hard link), a folder, or a place in a folder that does not exist."""
    same = rejects_path.resolve() == input_path.resolve()
    if not same and rejects_path.exists() and input_path.exists():
        try:
            same = os.path.samefile(rejects_path, input_path)
        except OSError:
            same = False
    if same:
        raise RecbotError(
            f"{input_path.name}: the rejects file {rejects_path} is the input file; "
            "choose another --rejects path"
        )
    if rejects_path.is_dir():
        raise RecbotError(f"the rejects file {rejects_path} is a folder; give a file name")
    if not rejects_path.parent.is_dir():
        raise RecbotError(
            f"cannot write the rejects file {rejects_path}: no such folder {rejects_path.parent}"
        )


class RejectsFile:
    """A CSV of rejected lines (line, reason), written as the import goes to a temporary file
    next to `path`. keep() renames it to `path` once the import has committed; discard() removes
    it, so a failed import leaves whatever was at `path` as it was."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            descriptor = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise RecbotError(f"cannot write the rejects file {path}: {exc.strerror}") from None
        self.handle = open(descriptor, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = csv.writer(self.handle)
        self.writer.writerow(["line", "reason"])

    def write(self, rejections: list[Rejection]) -> None:
        self.writer.writerows((r.line, r.reason) for r in rejections)

    def keep(self) -> None:
        self.handle.close()
        try:
            os.replace(self.temporary, self.path)
        except OSError as exc:
            raise RecbotError(
                f"imported, but the rejects file {self.path} could not be written "
                f"({exc.strerror}); the rejected lines are in {self.temporary}"
            ) from None

    def discard(self) -> None:
        self.handle.close()
        self.temporary.unlink(missing_ok=True)
