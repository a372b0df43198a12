"""The digest job: one DM per rep per period, through the delivery claims in bot.jobs.claims.

A rep's period is the latest DIGEST_CRON occurrence in the rep's own time zone; a rep is due when
that period has no delivery yet (and it is less than the grace old, unless run by hand), or its
delivery failed (retried after a pause), or it is stuck 'pending' because its sender died.

Crash window: the message is stamped with the delivery key in Slack message metadata. A retry of
a delivery that may have reached Slack first reads the DM's recent history and, if the message
is there, marks it sent instead of sending it again. The same check runs inside one attempt when
a post fails in a way Slack may still have processed (a 5xx, a cut connection): the HTTP client
does not resend chat.postMessage by itself (bot.slack_client.for_posting). Only if that read
fails (e.g. the im:history scope is missing) can a lost response or a crash between Slack's
acceptance and the 'sent' update cost a duplicate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Connection, Engine

from bot.jobs import claims
from bot.jobs.digest_message import METADATA_EVENT, digest_message
from bot.jobs.pacing import Pacer
from bot.jobs.schedule import last_occurrence, naive_utc, period_key, utcnow
from bot.settings import JobSettings
from bot.slack_client import for_posting, may_have_arrived, retries_of
from db import exposures, job_queries, serving
from db.attention import Account
from db.job_queries import Recipient
from db.serving import LiveModel
from db.settings import OutcomeSettings

log = logging.getLogger(__name__)
# Pause before checking the DM and posting again (doubles per attempt, at most 10 s).
POST_RETRY_BASE_S = 0.5
JOB = "digest"


class DeliveryError(Exception):
    """A rep cannot be reached (no Slack user for their email, …): recorded, retried later."""


@dataclass(frozen=True)
class Due:
    recipient: Recipient
    period: str


@dataclass
class DigestReport:
    ran: bool
    reason: str = ""
    due: int = 0
    sent: int = 0
    reconciled: int = 0  # found already delivered by an interrupted attempt
    failed: int = 0
    skipped: int = 0  # claimed by someone else meanwhile, or nothing to show
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ran:
            return self.reason
        text = f"{self.sent} sent, {self.failed} failed, {self.skipped} skipped of {self.due} due"
        if self.reconciled:
            text += f", {self.reconciled} found already delivered"
        return text


def _zone_period(cron: str, tz: str, now: datetime) -> tuple[str, datetime] | None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        tz = "UTC"
    occ = last_occurrence(cron, tz, now)
    return None if occ is None else (period_key(occ), occ)


def plan(
    conn: Connection, settings: JobSettings, now: datetime, manual: bool = False
) -> tuple[list[Due], int]:
    """Who is due at `now` (aware) and for which period; also how many opted out."""
    reps = job_queries.recipients(conn)
    zones = {tz: _zone_period(settings.digest_cron, tz, now) for tz in {r.time_zone for r in reps}}
    existing = job_queries.deliveries(conn, (z[0] for z in zones.values() if z))
    grace, at = timedelta(seconds=settings.digest_grace_s), naive_utc(now)
    due, opted_out = [], 0
    for rep in reps:
        zone = zones[rep.time_zone]
        if zone is None:
            continue
        if rep.opted_out:
            opted_out += 1
            continue
        period, occurrence = zone
        state = existing.get((rep.rep_id, period))
        if state is None:
            ok = manual or now - occurrence <= grace
        else:
            status, attempts, claimed_at = state
            wait = claims.DELIVERY_RETRY_AFTER if status == "failed" else claims.DELIVERY_LEASE
            ok = (
                status in ("failed", "pending")
                and attempts < claims.MAX_ATTEMPTS
                and ((manual and status == "failed") or claimed_at <= at - wait)
            )
        if ok:
            due.append(Due(rep, period))
    return due, opted_out


@dataclass(frozen=True)
class DigestLines:
    """A rep's accounts split for the digest: the held-out accounts among the first `shown`
    needing attention are left out of the DM (their lines are recorded as held out), and the
    DM shows the rest of those first accounts."""

    visible: list[Account]  # every account not held out
    urgent: list[Account]  # of those, the ones needing attention, most urgent first
    shown: int  # how many of `urgent` the DM shows
    held: list[Account]  # held-out accounts that would have been shown

    @classmethod
    def split(cls, accounts: list[Account], shown: int, outcome: OutcomeSettings) -> DigestLines:
        def out(a: Account) -> bool:
            return exposures.is_held_out(
                a.customer.external_id, outcome.holdout_share, outcome.holdout_seed
            )

        window = [a for a in accounts if a.needs_attention][:shown]
        held = [a for a in window if out(a)]
        visible = [a for a in accounts if not out(a)]
        urgent = [a for a in visible if a.needs_attention]
        return cls(visible, urgent, len(window) - len(held), held)


class DigestJob:
    def __init__(
        self,
        engine: Engine,
        settings: JobSettings,
        client: WebClient | None,
        pacer: Pacer | None = None,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        outcome: OutcomeSettings | None = None,
    ) -> None:
        self.engine, self.settings, self.client = engine, settings, client
        self.outcome = outcome or OutcomeSettings.from_env()
        self.pacer = pacer or Pacer(settings.digest_pace_per_s)
        self.owner = owner or claims.owner_id()
        self.clock = clock
        self._now: Callable[[], datetime] = clock
        self._lock = threading.Lock()

    def run(self, now: datetime | None = None, manual: bool = False) -> DigestReport:
        """Send every due digest; a second process doing the same at once skips."""
        if now is not None:  # this run's times all come from the given moment
            fixed = now
            self._now = lambda: fixed
        else:
            self._now = self.clock
        now = self._now()
        with self.engine.connect() as conn:
            model = serving.live_model(conn)
            due, _ = plan(conn, self.settings, now, manual)
        if model is None:
            return DigestReport(False, "no live model yet: nothing to send")
        if not due:
            return DigestReport(False, "nobody is due")
        stamp = naive_utc(now)
        key = f"manual-{stamp:%Y-%m-%dT%H:%M:%S.%f}" if manual else f"{stamp:%Y-%m-%dT%H:%M}Z"
        run = claims.claim_run(self.engine, JOB, key, stamp, self.owner)
        if run is None:
            return DigestReport(False, "another process is running the digest")
        report = DigestReport(True, due=len(due))
        try:
            self._deliver_all(due, model, manual, report, run)
        except Exception as exc:  # a bug or the database: record it; a crash leaves 'running'
            claims.finish_run(
                self.engine,
                run,
                naive_utc(self._now()),
                "failed",
                "failed",
                f"{type(exc).__name__}: {exc}; {report.summary()}",
            )
            raise
        outcome = "sent" if not report.failed else "partly failed"
        detail = report.summary() + "".join(f"\n{e}" for e in report.errors[:5])
        claims.finish_run(self.engine, run, naive_utc(self._now()), "succeeded", outcome, detail)
        return report

    def _deliver_all(
        self,
        due: list[Due],
        model: LiveModel,
        manual: bool,
        report: DigestReport,
        run: claims.RunClaim,
    ) -> None:
        """A few reps at a time: each is a chain of round trips (database, Slack, database)."""
        pool = ThreadPoolExecutor(max(1, self.settings.digest_workers), thread_name_prefix="digest")
        stop = threading.Event()

        def deliver(item: Due) -> None:
            if stop.is_set():
                return
            try:
                self._deliver(item, model, manual, report)
            except BaseException:
                stop.set()  # the others finish the rep in hand and start no new one
                raise

        try:
            futures = [pool.submit(deliver, item) for item in due]
            for n, future in enumerate(as_completed(futures), 1):
                future.result()
                if n % 25 == 0:
                    claims.heartbeat(self.engine, run, naive_utc(self._now()))
        finally:  # on an error, stop: queued reps stay unclaimed for the next run
            pool.shutdown(wait=True, cancel_futures=True)

    def _count(self, field_name: str, error: str | None = None) -> Callable[[DigestReport], None]:
        def add(report: DigestReport) -> None:
            with self._lock:
                setattr(report, field_name, getattr(report, field_name) + 1)
                if error:
                    report.errors.append(error)

        return add

    def _deliver(self, item: Due, model: LiveModel, manual: bool, report: DigestReport) -> None:
        rep = item.recipient
        with self.engine.connect() as conn:
            accounts = job_queries.rep_accounts(conn, rep.rep_id, model, naive_utc(self._now()))
        retry_after = timedelta(0) if manual else claims.DELIVERY_RETRY_AFTER
        claim = claims.claim_delivery(
            self.engine, rep.rep_id, item.period, naive_utc(self._now()), self.owner, retry_after
        )
        if claim is None:
            self._count("skipped")(report)
            return
        lines = DigestLines.split(accounts, self.settings.digest_accounts, self.outcome)
        urgent = len(lines.urgent)
        if not urgent:  # recorded, so later ticks do not ask again
            self._record(lines, item, model, None)
            claims.mark_skipped(self.engine, claim, "nothing to act on in the rep's accounts")
            self._count("skipped")(report)
            return
        channel, found_user = claim.channel or rep.dm_channel, None
        try:
            if channel is None:
                found_user = self._slack_user(rep)
                channel = self._open_dm(found_user)
            if claim.attempts > 1 and self._already_posted(channel, claim.key):
                claims.mark_sent(
                    self.engine,
                    claim,
                    naive_utc(self._now()),
                    channel,
                    None,
                    urgent,
                    "found in the DM after an interrupted attempt",
                    remember_user=found_user,
                )
                self._record(lines, item, model, found_user)
                self._count("reconciled")(report)
                return
            message = digest_message(
                rep.name,
                item.period,
                lines.visible,
                lines.shown,
                self.settings.digest_picks,
                model.id,
                claim.key,
                model.calibration.horizon_weeks if model.calibration else None,
            )
            ts, found = self._post_exactly_once(channel, claim.key, message)
            claims.mark_sent(
                self.engine,
                claim,
                naive_utc(self._now()),
                channel,
                ts,
                urgent,
                "found in the DM after a lost response" if found else None,
                remember_user=found_user,
            )
            self._record(lines, item, model, found_user)
            if found:
                self._count("reconciled")(report)
                return
            self._count("sent")(report)
        except (DeliveryError, SlackApiError, SlackClientError, OSError) as exc:
            error = describe(exc)
            log.warning("digest for rep %s (%s) failed: %s", rep.rep_id, item.period, error)
            claims.mark_failed(self.engine, claim, error, channel)
            self._count("failed", f"rep {rep.rep_id} ({rep.email}): {error}")(report)

    def _record(
        self, lines: DigestLines, item: Due, model: LiveModel, found_user: str | None
    ) -> None:
        """Log the digest's lines as shown, and the held-out accounts' lines as held out; a
        failed write is logged (the DM is sent either way)."""
        rep, now = item.recipient, naive_utc(self._now())
        per_account = self.settings.digest_picks
        user = rep.slack_user_id or found_user
        rows = exposures.of_accounts(
            lines.urgent[: lines.shown], "digest", now, model.id, per_account, user, rep.rep_id
        )
        rows += exposures.of_accounts(
            lines.held, "digest", now, model.id, per_account, user, rep.rep_id, held_out=True
        )
        try:
            with self.engine.begin() as conn:
                exposures.write(conn, rows)
        except Exception as exc:
            log.warning(
                "digest for rep %s (%s): %s exposures not recorded: %s",
                rep.rep_id,
                item.period,
                len(rows),
                type(exc).__name__,
            )

    def _post_exactly_once(self, channel: str, key: str, message: dict) -> tuple[str | None, bool]:
        """Post the digest; after a fault that Slack may have processed (5xx, cut connection),
        look for it in the DM before posting again. Returns (ts, found in the DM)."""
        poster = for_posting(self._client())
        attempts = retries_of(self._client()) + 1
        for attempt in range(1, attempts + 1):
            self.pacer.wait("chat.postMessage")
            try:
                response = poster.chat_postMessage(
                    channel=channel, unfurl_links=False, unfurl_media=False, **message
                )
                return response.get("ts"), False
            except (SlackApiError, SlackClientError, OSError) as exc:
                if attempt == attempts or not may_have_arrived(exc):
                    raise
                log.info("digest post to %s: %s; checking the DM", channel, describe(exc))
            time.sleep(min(2.0 ** (attempt - 1) * POST_RETRY_BASE_S, 10.0))
            if self._already_posted(channel, key):
                return None, True
        raise AssertionError("unreachable")

    def _client(self) -> WebClient:
        if self.client is None:
            raise DeliveryError("SLACK_BOT_TOKEN is not set")
        return self.client

    def _slack_user(self, rep: Recipient) -> str:
        if rep.slack_user_id:
            return rep.slack_user_id
        self.pacer.wait("users.lookupByEmail")
        try:
            return self._client().users_lookupByEmail(email=rep.email)["user"]["id"]
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                raise DeliveryError(f"no Slack user has the email {rep.email}") from None
            raise

    def _open_dm(self, user: str) -> str:
        self.pacer.wait("conversations.open")
        return self._client().conversations_open(users=user)["channel"]["id"]

    def _already_posted(self, channel: str, key: str) -> bool:
        """Whether an earlier, interrupted attempt's message is in the DM (see module doc)."""
        self.pacer.wait("conversations.history")
        oldest = (self._now() - timedelta(days=8)).timestamp()
        try:
            history = self._client().conversations_history(
                channel=channel, oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning(
                "cannot read DM %s to check for an earlier digest (%s); sending again",
                channel,
                describe(exc),
            )
            return False
        for message in history.get("messages") or []:
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == METADATA_EVENT
                and (meta.get("event_payload") or {}).get("delivery") == key
            ):
                return True
        return False


def describe(exc: BaseException) -> str:
    """One line for the delivery record."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return (
            f"Slack {exc.response.api_url.rsplit('/', 1)[-1]}: HTTP "
            f"{exc.response.status_code} {data.get('error') or ''}"
        ).strip()
    return f"{type(exc).__name__}: {exc}"[:500]
