"""The notification worker: time-based notices and delivery of the outbox, in `onestop worker` and in a thread
of `onestop serve` — never inside a person's request."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from engine.notify.delivery import DeliveryReport, deliver_due
from engine.notify.reminders import ReminderReport, send_time_notices

if TYPE_CHECKING:
    from engine.platform import Platform

log = logging.getLogger(__name__)

#: Seconds between deliveries (a registration code waits at most this long), and between deadline sweeps.
DELIVERY_INTERVAL = 2.0
REMINDER_INTERVAL = 60.0


@dataclass
class NotificationReport:
    reminders: ReminderReport
    delivery: DeliveryReport

    def summary(self) -> str:
        d = self.delivery
        return (f"notices: {self.reminders.soon} deadlines near, {self.reminders.overdue} overdue; messages: "
                f"{d.messages} sent ({d.sent} notifications), {d.retrying} to retry, {d.failed} failed, "
                f"{d.held} held for quiet hours")


def notification_sweep(platform: Platform, *, now: datetime | None = None) -> NotificationReport:
    """Once: find the time-based notices, then deliver everything due."""
    reminders = send_time_notices(platform, now=now)
    return NotificationReport(reminders, deliver_due(platform, now=now))


class NotificationWorker:
    """A background thread delivering the outbox every DELIVERY_INTERVAL seconds and sweeping deadlines every
    REMINDER_INTERVAL, until stopped."""

    def __init__(self, platform: Platform, interval: float = DELIVERY_INTERVAL,
                 reminder_interval: float = REMINDER_INTERVAL) -> None:
        self.platform = platform
        self.interval = interval
        self.reminder_interval = reminder_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="onestop-notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 30)

    def run(self) -> None:
        last_reminders = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_reminders >= self.reminder_interval:
                    send_time_notices(self.platform)
                    last_reminders = time.monotonic()
                report = deliver_due(self.platform)
                if report.claimed or report.held:
                    log.info("notifications: %d sent in %d messages, %d to retry, %d failed, %d held", report.sent,
                             report.messages, report.retrying, report.failed, report.held)
            except Exception:  # noqa: BLE001 — the database or a channel may be away for a while; keep going
                log.exception("notification sweep failed; retrying in %.0f s", self.interval)
            self._stop.wait(self.interval)
