"""Customers, products and reps upserts, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from core.errors import RecbotError
from db.imports import ImportRejected, import_masters
from db.models import Base, Customer, RepAssignment, SalesRep
from tests.db.broken_inputs import BROKEN, broken_file


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def load_customers(engine: Engine, tmp_path: Path) -> None:
    import_masters(
        engine,
        write(
            tmp_path,
            "c.csv",
            "customer_id,name,segment\nC1,Acme,Restaurants\nC2,Bluebird,Hotels\nC3,Cedar,Schools\n",
        ),
        "customers",
    )


def test_customers_upsert_counts_created_updated_unchanged(engine: Engine, tmp_path: Path) -> None:
    load_customers(engine, tmp_path)
    report = import_masters(
        engine,
        write(
            tmp_path,
            "c2.csv",
            "customer_id,name,segment\n"
            "C1,Acme,Restaurants\nC2,Bluebird Hotel,Hotels\n"
            "C4,Delta,Offices\n",
        ),
        "customers",
    )

    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    with engine.connect() as conn:
        names = dict(conn.execute(select(Customer.external_id, Customer.name)).all())
    assert names == {"C1": "Acme", "C2": "Bluebird Hotel", "C3": "Cedar", "C4": "Delta"}


def test_reps_with_assignments_replace_previous_ones(engine: Engine, tmp_path: Path) -> None:
    load_customers(engine, tmp_path)
    header = "email,name,slack_user_id,time_zone,customer_ids\n"
    import_masters(
        engine,
        write(tmp_path, "r.csv", header + "Ann@Example.com,Ann,U123,Europe/Berlin,C1;C2\n"),
        "reps",
    )
    report = import_masters(
        engine,
        write(tmp_path, "r2.csv", header + "ann@example.com,Ann,U123,Europe/Berlin,C3\n"),
        "reps",
    )

    assert report.updated == 1
    with engine.connect() as conn:
        rep = conn.execute(select(SalesRep.email, SalesRep.time_zone)).one()
        assigned = (
            conn.execute(
                select(Customer.external_id).join(
                    RepAssignment, RepAssignment.customer_id == Customer.id
                )
            )
            .scalars()
            .all()
        )
    assert rep == ("ann@example.com", "Europe/Berlin")
    assert assigned == ["C3"]


def test_reimporting_the_same_reps_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    load_customers(engine, tmp_path)
    path = write(tmp_path, "r.csv", "email,name,customer_ids\nann@example.com,Ann,C1;C2\n")
    import_masters(engine, path, "reps")

    report = import_masters(engine, path, "reps")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_bad_rep_lines_abort_and_name_the_line(engine: Engine, tmp_path: Path) -> None:
    load_customers(engine, tmp_path)
    path = write(
        tmp_path,
        "r.csv",
        "email,name,time_zone,customer_ids\n"
        "ann@example.com,Ann,Mars/Olympus,C1\n"
        "bob@example.com,Bob,UTC,C1;C99\n"
        "not-an-email,Carl,UTC,C2\n"
        "dan@example.com,Dan,UTC,C3\n",
    )
    with pytest.raises(ImportRejected) as caught:
        import_masters(engine, path, "reps")

    reasons = {r.line: r.reason for r in caught.value.report.rejections}
    assert set(reasons) == {2, 3, 4}
    assert "Mars/Olympus" in reasons[2] and "C99" in reasons[3] and "email" in reasons[4]
    with engine.connect() as conn:
        assert conn.execute(select(SalesRep)).first() is None  # Dan's valid line is not written


MASTER_FILES = {
    "customers": ("customer_id,name,segment", "C{i},Name {i},Hotels"),
    "products": ("product_id,name,category", "P{i},Name {i},Coffee"),
    "reps": ("email,name,slack_user_id", "rep{i}@example.com,Rep {i},"),
}


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize("kind", list(MASTER_FILES))
@pytest.mark.parametrize("broken", BROKEN)
def test_unreadable_master_files_are_one_error_line_and_write_nothing(
    engine: Engine, tmp_path: Path, kind: str, broken: str
) -> None:
    load_customers(engine, tmp_path)
    before = row_counts(engine)
    path, expected = broken_file(tmp_path, broken, *MASTER_FILES[kind])

    with pytest.raises(RecbotError) as caught:
        import_masters(engine, path, kind, skip_invalid=True)

    message = str(caught.value)
    assert "\n" not in message
    for fragment in expected:
        assert fragment in message
    assert row_counts(engine) == before


# --- Every value fits its column, and Slack ids are Slack ids used by one rep -----------------


def test_rep_lines_are_checked_against_the_columns_and_other_reps(
    engine: Engine, tmp_path: Path
) -> None:
    header = "email,name,slack_user_id\n"
    import_masters(
        engine, write(tmp_path, "r0.csv", header + "old@example.com,Old,UOLD1\n"), "reps"
    )
    path = write(
        tmp_path,
        "r.csv",
        header + "ann@example.com,Ann,U123\n"  # 2
        "bob@example.com,Bob,not-an-id\n"  # 3
        "carl@example.com,Carl,U123\n"  # 4: Ann's id
        "dan@example.com,Dan,UOLD1\n"  # 5: Old's id, in the database
        f"eve@example.com,{'E' * 257},U777\n"  # 6
        f"{'f' * 250}@example.com,Fay,U778\n"  # 7
        f"gus@example.com,Gus,U{'A' * 32}\n"  # 8
        "old@example.com,Old Timer,UOLD1\n"  # 9: the same rep keeps its id
        "hal@example.com,Hal,u123\n"  # 10
        'ida@example.com,Ida,"U12,U13"\n',  # 11: two fields in one
    )

    with pytest.raises(ImportRejected) as caught:
        import_masters(engine, path, "reps")

    reasons = {r.line: r.reason for r in caught.value.report.rejections}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 10, 11]
    assert reasons[3] == "slack_user_id 'not-an-id' is not a Slack user id (like U012ABCDEF)"
    assert reasons[4] == "slack_user_id 'U123' is also on line 2, for another rep"
    assert reasons[5] == "slack_user_id 'UOLD1' already belongs to another rep (old@example.com)"
    assert reasons[6] == "name longer than 256 characters"
    assert reasons[7].startswith("email 'ffff") and reasons[7].endswith("is not an email address")
    assert reasons[8] == "slack_user_id longer than 32 characters"
    assert reasons[10] == "slack_user_id 'u123' is not a Slack user id (like U012ABCDEF)"
    with engine.connect() as conn:
        assert conn.execute(select(SalesRep.email, SalesRep.name)).all() == [
            ("old@example.com", "Old")
        ]

    report = import_masters(engine, path, "reps", skip_invalid=True)

    assert (report.created, report.updated, report.rows_rejected) == (1, 1, 8)
    with engine.connect() as conn:
        reps = dict(conn.execute(select(SalesRep.email, SalesRep.slack_user_id)).all())
    assert reps == {"old@example.com": "UOLD1", "ann@example.com": "U123"}


@pytest.mark.parametrize(
    ("kind", "content", "expected"),
    [
        (
            "customers",
            "customer_id,name,segment,region\n"
            f"C1,Acme,{'S' * 65},North\n"
            f"C2,Bluebird,Hotels,{'R' * 65}\n"
            f"C3,{'N' * 257},Hotels,North\n"
            f"{'C' * 129},Cedar,Hotels,North\n"
            "C5,,Hotels,North\n"
            f"C6,Delta,{'S' * 64},{'R' * 64}\n",
            {
                2: "segment longer than 64 characters",
                3: "region longer than 64 characters",
                4: "name longer than 256 characters",
                5: "customer_id longer than 128 characters",
                6: "missing name",
            },
        ),
        (
            "products",
            "product_id,name,category\n"
            f"P1,Beans,{'K' * 129}\n"
            f"P2,{'N' * 257},Coffee\n"
            f"P3,Filters,{'K' * 128}\n",
            {
                2: "category longer than 128 characters",
                3: "name longer than 256 characters",
            },
        ),
    ],
)
def test_master_values_longer_than_their_columns_are_rejected_with_their_line(
    engine: Engine, tmp_path: Path, kind: str, content: str, expected: dict[int, str]
) -> None:
    path = write(tmp_path, f"{kind}.csv", content)

    with pytest.raises(ImportRejected) as caught:
        import_masters(engine, path, kind)

    assert {r.line: r.reason for r in caught.value.report.rejections} == expected
    assert row_counts(engine)[kind] == 0
    report = import_masters(engine, path, kind, skip_invalid=True)
    assert (report.created, report.rows_rejected) == (1, len(expected))  # the last line fits


def test_control_characters_in_master_values_are_rejected_with_their_line(
    engine: Engine, tmp_path: Path
) -> None:
    load_customers(engine, tmp_path)
    customers = write(
        tmp_path,
        "c.csv",
        "customer_id,name,segment,region\n"
        "C\x1b]0;pwned\x07,Acme,Hotels,North\n"  # 2
        "C11,Ac\x1bme,Hotels,North\n"  # 3
        "C12,Acme,Hot\u202eels,North\n"  # 4
        "C13,Acme,Hotels,No\x00rth\n"  # 5
        "C14,Caf\u00e9 \u200d,Hotels,North\n",  # 6: a zero-width joiner is allowed in text
    )
    reps = write(
        tmp_path,
        "r.csv",
        "email,name,slack_user_id,time_zone,customer_ids\n"
        "ann\x08@example.com,Ann,,UTC,C1\n"  # 2
        "bob@example.com,B\x9bob,,UTC,C1\n"  # 3: a C1 control (CSI)
        "cy@example.com,Cy,,UTC,C1;C\u20602\n",  # 4: word joiner
    )

    with pytest.raises(ImportRejected) as caught:
        import_masters(engine, customers, "customers")
    assert {r.line: r.reason for r in caught.value.report.rejections} == {
        2: "customer_id contains a control character (U+001B)",
        3: "name contains a control character (U+001B)",
        4: "segment contains a control character (U+202E)",
        5: "region contains a control character (U+0000)",
    }
    with pytest.raises(ImportRejected) as caught:
        import_masters(engine, reps, "reps")
    assert {r.line: r.reason for r in caught.value.report.rejections} == {
        2: "email contains a control character (U+0008)",
        3: "name contains a control character (U+009B)",
        4: "customer_ids contains a control character (U+2060)",
    }

    report = import_masters(engine, customers, "customers", skip_invalid=True)
    assert (report.created, report.rows_rejected) == (1, 4)
