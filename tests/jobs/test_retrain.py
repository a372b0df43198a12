"""The retrain job: a child process, a time limit, the gate's outcome recorded, one at a time."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.jobs.retrain import RetrainJob, train_command
from bot.jobs.scheduler import build_jobs
from bot.settings import JobSettings, SlackSettings
from db.models import JobRun, ModelVersion, Recommendation
from tests.bot import fixtures
from tests.jobs.conftest import race
from tests.slack_standin import BOT_TOKEN, SlackStandIn

MONDAY_0300 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # an hour after the weekly 02:00
SETTINGS = JobSettings()


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


# A stand-in for `recbot train` that starts a version the way it does, then hangs.
HANG = python(
    "import os, time; from sqlalchemy import create_engine, text\n"
    "e = create_engine(os.environ['DATABASE_URL'])\n"
    'with e.begin() as c: c.execute(text("INSERT INTO model_versions (id, status, arch, '
    "started_at) SELECT max(id) + 1, 'training', 'ranker', CURRENT_TIMESTAMP "
    'FROM model_versions"))\n'
    "print('training', flush=True); time.sleep(120)"
)


def served(engine: Engine) -> tuple[list, int]:
    with engine.connect() as conn:
        live = conn.execute(select(ModelVersion.id).where(ModelVersion.status == "live")).all()
        recs = conn.execute(select(func.count()).select_from(Recommendation)).scalar_one()
    return live, recs


def job_runs(engine: Engine) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(
                JobRun.period, JobRun.status, JobRun.outcome, JobRun.detail, JobRun.model_version_id
            ).order_by(JobRun.id)
        ).all()


def test_failing_retrain_is_recorded_and_serving_untouched(engine: Engine) -> None:
    fixtures.fill(engine)
    before = served(engine)
    job = RetrainJob(
        engine,
        SETTINGS,
        command=python(
            "import sys; print('training failed (version 3): too little data'); sys.exit(1)"
        ),
    )
    result = job.run(MONDAY_0300)

    assert result.outcome == "failed" and "too little data" in result.detail
    assert served(engine) == before
    [run] = job_runs(engine)
    assert (run.period, run.status, run.outcome) == ("2026-11-23T02:00", "failed", "failed")
    assert "too little data" in run.detail


def test_retrain_over_its_time_limit_is_stopped_and_serving_untouched(engine: Engine) -> None:
    fixtures.fill(engine)
    before = served(engine)
    settings = JobSettings(retrain_timeout_s=3)
    result = RetrainJob(engine, settings, command=HANG).run(MONDAY_0300)

    assert result.outcome == "failed" and "timed out after 3s" in result.detail
    assert served(engine) == before
    with engine.connect() as conn:
        version = conn.execute(
            select(ModelVersion.status, ModelVersion.reason).where(
                ModelVersion.id == result.version_id
            )
        ).one()
    assert version.status == "failed" and "timed out" in version.reason
    assert job_runs(engine)[0].model_version_id == result.version_id


def test_real_train_runs_in_a_child_and_promotes_without_tensorflow_here(
    sqlite_engine: Engine,
) -> None:
    """One real training run is enough here (about 30 s); the model tests cover PostgreSQL."""
    from tests.model.helpers import load_b2b

    engine = sqlite_engine

    load_b2b(engine, customers=40, products=20, weeks=20)
    result = RetrainJob(engine, SETTINGS, command=train_command("--epochs", "2")).run(manual=True)

    assert result.outcome in ("promoted", "rejected"), result
    with engine.connect() as conn:
        status, reason = conn.execute(
            select(ModelVersion.status, ModelVersion.reason).where(
                ModelVersion.id == result.version_id
            )
        ).one()
    assert {"live": "promoted"}.get(status, status) == result.outcome and reason == result.detail
    assert "tensorflow" not in sys.modules and "keras" not in sys.modules


def test_two_schedulers_run_one_retrain(engine: Engine, tmp_path: Path) -> None:
    fixtures.fill(engine)
    marker = tmp_path / "trained"
    command = python(f"import time; open({str(marker)!r}, 'a').write('x'); time.sleep(1)")
    results = race(
        engine,
        2,
        lambda e, i: RetrainJob(e, SETTINGS, command=command, owner=f"replica:{i}").run(
            MONDAY_0300
        ),
    )
    assert marker.read_text() == "x"
    assert sorted(r.outcome for r in results) == ["failed", "skipped"]  # no version row: failed
    assert len(job_runs(engine)) == 1


def test_a_manual_retrain_never_overlaps_a_running_one(engine: Engine) -> None:
    fixtures.fill(engine)
    settings = JobSettings(retrain_timeout_s=4)
    scheduled = RetrainJob(engine, settings, command=HANG, owner="sched:1")
    thread = threading.Thread(target=scheduled.run, args=(MONDAY_0300,))
    thread.start()
    try:
        # wait for the scheduled run's claim (a state, not a time)
        deadline = datetime.now() + timedelta(seconds=30)
        while not job_runs(engine) and datetime.now() < deadline:
            threading.Event().wait(0.05)
        manual = RetrainJob(engine, settings, command=HANG, owner="cli:1").run(
            MONDAY_0300, manual=True
        )
        assert manual.outcome == "skipped"
    finally:
        thread.join()
    assert [r.status for r in job_runs(engine)] == ["failed"]


def test_scheduled_retrain_catches_up_once_within_grace(engine: Engine) -> None:
    fixtures.fill(engine)
    ok = python("pass")
    job = RetrainJob(engine, SETTINGS, command=ok)
    assert job.run(MONDAY_0300).outcome == "failed"  # ran (no version row from `pass`)
    assert job.run(MONDAY_0300 + timedelta(minutes=5)).outcome == "skipped"  # once per period
    late = RetrainJob(engine, SETTINGS, command=ok).run(MONDAY_0300 + timedelta(days=1))
    assert late.outcome == "skipped" and late.detail == "no retrain is due"
    assert len(job_runs(engine)) == 1


def test_outcome_is_posted_to_the_admin_channel(engine: Engine) -> None:
    fixtures.fill(engine)
    settings = JobSettings(
        admin_channel="C0ADMIN", retrain_command=f"{sys.executable} -c 'import sys; sys.exit(2)'"
    )
    with SlackStandIn() as slack:
        slack_settings = SlackSettings(
            bot_token=BOT_TOKEN, signing_secret="", app_token="", api_url=slack.api_url
        )
        jobs = build_jobs(engine, settings, slack_settings)
        result = jobs.retrain.run(MONDAY_0300)
        [post] = slack.delivered("chat.postMessage")
    assert result.outcome == "failed"
    assert post.params["channel"] == "C0ADMIN"
    assert post.params["text"].startswith("Weekly retrain: FAILED: exit status 2")


def test_training_child_yields_the_cpu_and_leaves_cores_to_serving(engine: Engine) -> None:
    fixtures.fill(engine)
    report = python(
        "import os, sys; print(os.sched_getscheduler(0) == os.SCHED_IDLE, "
        "os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['TRAIN_WORKERS'], os.cpu_count()); "
        "sys.exit(1)"
    )
    result = RetrainJob(engine, SETTINGS, command=report).run(MONDAY_0300)
    idle, threads, workers, cores = result.detail.split()
    assert idle == "True"
    assert int(threads) == int(workers) == max(1, int(cores) // 2)


def test_a_retrain_stopped_by_shutdown_is_caught_up_by_the_next_start(engine: Engine) -> None:
    fixtures.fill(engine)
    job = RetrainJob(engine, SETTINGS, command=HANG, owner="old:1")
    thread = threading.Thread(target=job.run, args=(MONDAY_0300,))
    thread.start()
    deadline = datetime.now() + timedelta(seconds=30)
    while datetime.now() < deadline and not served_version_training(engine):
        threading.Event().wait(0.05)
    job.stop()
    thread.join()
    [run] = job_runs(engine)
    assert (run.status, run.detail) == ("abandoned", "stopped: the scheduler shut down")
    again = RetrainJob(engine, SETTINGS, command=python("pass"), owner="new:1").run(MONDAY_0300)
    assert again.outcome == "failed" and again.detail == "exit status 0"  # it ran again
    with engine.connect() as conn:
        assert conn.execute(select(JobRun.attempt)).scalar_one() == 2


def served_version_training(engine: Engine) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(select(ModelVersion.id).where(ModelVersion.status == "training")).first()
            is not None
        )


def test_children_are_started_without_preexec_fn(engine: Engine, monkeypatch) -> None:
    """preexec_fn runs Python between fork and exec in a threaded process: it can deadlock."""
    fixtures.fill(engine)
    seen: list[dict] = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", spy)
    RetrainJob(engine, SETTINGS, command=python("pass")).run(MONDAY_0300)
    assert seen and all(kwargs.get("preexec_fn") is None for kwargs in seen)


def test_importing_the_jobs_loads_no_libc() -> None:
    """libc is looked up in the child launcher at run time, so an image without `libc.so.6`
    (musl) can still import and run the jobs."""
    code = (
        "import ctypes\n"
        "def missing(*a, **k): raise OSError('libc.so.6: cannot open shared object file')\n"
        "ctypes.CDLL = missing\n"
        "import bot.jobs.retrain, bot.jobs.service\n"
        "print('imported')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "imported", out.stderr


def test_training_child_dies_when_the_scheduler_is_killed(sqlite_engine: Engine, tmp_path) -> None:
    fixtures.fill(sqlite_engine)
    pid_file = tmp_path / "child.pid"
    hang = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_engine.url.render_as_string(False),
        "RETRAIN_COMMAND": shlex.join([sys.executable, "-c", hang]),
    }
    scheduler = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "retrain", "--now"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not pid_file.exists():
            time.sleep(0.1)
        time.sleep(0.2)
        child = int(pid_file.read_text())
        os.kill(scheduler.pid, signal.SIGKILL)
        scheduler.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(child):
            time.sleep(0.1)
        assert not _alive(child), "the training child outlived the killed scheduler"
    finally:
        if scheduler.poll() is None:
            scheduler.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
