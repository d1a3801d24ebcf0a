"""Time arguments as tools take them: the world's local time (China, UTC+8, written without zone).

:data:`LocalDateTime` reads ``YYYY-MM-DD HH:MM:SS`` (or ISO 8601 with ``T``); a time with a zone
(``…Z``, ``…+00:00``) is converted to the world's local time, and a bare number (``20261124110000``,
which pydantic would read as seconds since 1970) is refused — it is an invalid argument, never a
crash on comparing a zoned time with the session clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

__all__ = ["LOCAL_ZONE", "LocalDateTime", "to_local"]

#: The world's clock: China Standard Time.
LOCAL_ZONE = timezone(timedelta(hours=8))


def _no_number(value: Any) -> Any:
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        raise ValueError("时间须写成 YYYY-MM-DD HH:MM:SS,不能是一串数字")
    return value


def to_local(moment: datetime) -> datetime:
    """``moment`` as the world's naive local time (a naive one is taken as local already)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL_ZONE).replace(tzinfo=None)


#: A datetime argument: text in the time format (a zone converted to local time), never a bare number.
LocalDateTime = Annotated[datetime, BeforeValidator(_no_number), AfterValidator(to_local)]
