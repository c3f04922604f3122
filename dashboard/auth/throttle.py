"""Login throttling: growing delays per account, per address, and per account-and-address pair.

A hard lock is a weapon: anyone could lock the administrator out by failing on purpose.
So failures slow guessing down instead. Past a threshold, each new failure doubles the wait
before the next attempt (1 min, 2 min, 4 min…, capped at ``lockout_minutes``), and a right
password during the wait is refused too, so guessing cannot go on behind it. The pair
(account, address) reaches its threshold first: an attacker's own address is slowed long
before the account is slowed for everyone (which takes ten times as many failures, from
many addresses). Attempts refused during a wait are counted on the key, not audited one by one.
The counts are rows of the store (``store.login_throttle``), so they hold across app workers and hosts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from store.login_throttle import FailureCount, LoginThrottle

FIRST_DELAY = dt.timedelta(minutes=1)
ACCOUNT_FACTOR = 10  # failures from many addresses before an account is slowed for everyone
ADDRESS_FACTOR = 5  # failures on many accounts before an address is slowed


@dataclass(frozen=True)
class Throttle:
    """Keys a login attempt is counted under, each with its threshold."""

    limits: dict[str, int]

    @classmethod
    def for_attempt(cls, username: str, address: str, max_failures: int) -> Throttle:
        user, ip = username[:64], address[:64]
        return cls(
            {
                f"pair:{user}|{ip}": max_failures,
                f"user:{user}": max_failures * ACCOUNT_FACTOR,
                f"ip:{ip}": max_failures * ADDRESS_FACTOR,
            }
        )


def wait_until(engine: Engine, throttle: Throttle, now: dt.datetime) -> dt.datetime | None:
    """The end of the longest wait among the attempt's keys, or None when it may be tried now.

    A refused attempt is counted on the waiting keys (``refused``)."""
    until = LoginThrottle(engine).refuse_if_waiting(list(throttle.limits), now)
    return max(until) if until else None


def record_failure(engine: Engine, throttle: Throttle, now: dt.datetime, cap: dt.timedelta) -> bool:
    """Count one failure on every key; True when this failure started (or lengthened) a wait.

    A key's count restarts once ``cap`` has passed since its first failure and it is not waiting."""

    def next_count(key: str, count: FailureCount | None) -> FailureCount:
        limit = throttle.limits[key]
        if count is None or (count.first_at + cap < now and (count.locked_until is None or count.locked_until <= now)):
            failures, first_at = 1, now
        else:
            failures, first_at = count.failures + 1, count.first_at
        return FailureCount(failures, first_at, now + delay(failures, limit, cap) if failures >= limit else None)

    counts = LoginThrottle(engine).count_failure(list(throttle.limits), now, next_count)
    return any(count.locked_until is not None for count in counts)


def delay(failures: int, limit: int, cap: dt.timedelta) -> dt.timedelta:
    """The wait after the ``failures``-th failure of a key whose threshold is ``limit``: doubling, capped."""
    doublings = min(failures - limit, 20)
    return min(cap, FIRST_DELAY * (2**doublings))


def forget_success(engine: Engine, username: str, address: str) -> None:
    """A successful login clears the account's count and its pair with this address; an attacker's pair with
    the same account, and any address's own count, stay."""
    LoginThrottle(engine).clear([f"user:{username[:64]}", f"pair:{username[:64]}|{address[:64]}"])


def clear(engine: Engine, *, username: str | None = None, address: str | None = None) -> int:
    """Lift the waits of an account (``users unlock NAME``) or of an address (``users unlock --address IP``)."""
    keys: list[str] = []
    between: list[tuple[str, str]] = []
    if username is not None:
        keys.append(f"user:{username[:64]}")
        between.append((f"pair:{username[:64]}|", ""))
    if address is not None:
        keys.append(f"ip:{address[:64]}")
        between.append(("pair:", f"|{address[:64]}"))
    return LoginThrottle(engine).clear(keys, between=between)


def current_waits(engine: Engine, now: dt.datetime) -> pd.DataFrame:
    """Keys waiting now, for /utilisateurs: key, failures, attempts refused while waiting, until when."""
    return LoginThrottle(engine).waits(now)
