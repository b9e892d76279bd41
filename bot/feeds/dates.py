"""Tolerant date parsing for feeds: RFC 822 and its real-world mutations, ISO 8601 / W3C-DTF,
Unix timestamps, two-digit years, month and day names in several languages.

Returns an aware UTC datetime, or None: an unreadable date never drops an entry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "jan january janv janvier ene enero gen gennaio januar jänner janeiro ocak styczeń январь янв января",
        "feb february fév fevr févr février fevrier feb febrero febbraio februar fev fevereiro şubat luty февраль фев февраля",  # noqa: E501
        "mar march mars mär märz maerz marzo mar março marco mart marzec март мар марта",
        "apr april avr avril abr abril aprile apr abril nisan kwiecień апрель апр апреля",
        "may mai mayo mag maggio mai maio mayıs maj май мая",
        "jun june juin jun junio giu giugno juni jun junho haziran czerwiec июнь июн июня",
        "jul july juil juillet jul julio lug luglio juli jul julho temmuz lipiec июль июл июля",
        "aug august août aout ago agosto ago agosto aug august ago agosto ağustos sierpień август авг августа",
        "sep sept september septembre sep septiembre set settembre sep september set setembro eylül wrzesień сентябрь сен сент сентября",  # noqa: E501
        "oct october oct octobre oct octubre ott ottobre okt oktober out outubro ekim październik октябрь окт октября",
        "nov november nov novembre nov noviembre nov novembre nov november nov novembro kasım listopad ноябрь ноя ноября",  # noqa: E501
        "dec december déc décembre dic diciembre dic dicembre dez dezember dez dezembro aralık grudzień декабрь дек декабря",  # noqa: E501
    ),
    start=1,
):
    for _n in _names.split():
        _MONTHS.setdefault(_n, _num)

_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "cet": 60, "cest": 120, "met": 60,
    "mest": 120, "eet": 120, "eest": 180, "msk": 180, "ist": 330, "jst": 540, "kst": 540,
    "hkt": 480, "sgt": 480, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "akst": -540, "akdt": -480, "hst": -600, "brt": -180, "art": -180,
}

_ISO = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T\s]+(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?|[+-]\d{4}\b|[+-]\d{2}:\d{2}|\d+|[^\W\d_]+",
                    re.UNICODE)
# The RFC 822 form most feeds use, read without the token soup: "Mon, 02 Jan 2006 15:04:05 +0000".
_RFC822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s*"
    r"(?:([+-])(\d{2})(\d{2})|(GMT|UTC|UT|Z))?$")
_EN_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                           "nov", "dec"), start=1)}
# Timestamps in feeds are seconds since 1970; accept 1990..2100 to avoid reading a year or
# a bare number as one.
_TS_MIN, _TS_MAX = 631152000, 4102444800


def _offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def _iso(s: str) -> datetime | None:
    m = _ISO.match(s)
    if not m:
        return None
    y, mo, d, hh, mm, ss, tz = m.groups()
    tzinfo: timezone = UTC
    if tz and tz.upper() != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, mins = int(digits[:2]), int(digits[2:4] or 0)
        tzinfo = _offset(sign * (hours * 60 + mins))
    try:
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tzinfo)
    except ValueError:
        return None
    return dt.astimezone(UTC)


def _loose(s: str) -> datetime | None:
    """Token soup: find a day, a month (name or number), a year, a time and a zone."""
    day = month = year = None
    hh = mm = ss = 0
    tz_minutes: int | None = None
    pm: bool | None = None
    numbers: list[str] = []
    for tok in _TOKEN.findall(s):
        low = tok.lower().rstrip(".")
        if ":" in tok and tok[0].isdigit():
            parts = tok.split(":")
            hh, mm = int(parts[0]), int(parts[1])
            ss = int(float(parts[2])) if len(parts) > 2 else 0
        elif tok[0] in "+-":
            digits = tok[1:].replace(":", "")
            sign = -1 if tok[0] == "-" else 1
            tz_minutes = sign * (int(digits[:2]) * 60 + int(digits[2:4]))
        elif tok.isdigit():
            numbers.append(tok)
        elif low in ("am", "pm"):
            pm = low == "pm"
        elif low in _ZONES:
            tz_minutes = _ZONES[low]
        elif month is None and low in _MONTHS:
            month = _MONTHS[low]
    rest: list[str] = []
    for n in numbers:
        if len(n) == 4 and year is None and n[:2] not in ("19", "20") and int(n[:2]) < 24:
            # "03 Apr 02 1500 GMT": a time written without a colon.
            hh, mm = int(n[:2]), int(n[2:])
        elif len(n) == 4 and year is None:
            year = int(n)
        else:
            rest.append(n)
    if month is None and len(rest) >= 2:
        # Numeric dates: trust day-month-year (the form feeds use outside the US) unless the
        # first number cannot be a day-of-month order.
        a, b = int(rest[0]), int(rest[1])
        month, day = (a, b) if a <= 12 < b else (b, a)
        rest = rest[2:]
    elif rest:
        day = int(rest[0])
        rest = rest[1:]
    if year is None and rest:
        y = int(rest[0])
        year = y + (2000 if y < 70 else 1900) if y < 100 else y
    if day is None or month is None or year is None:
        return None
    if pm is not None and hh <= 12:
        hh = (hh % 12) + (12 if pm else 0)
    try:
        dt = datetime(year, month, day, hh, mm, ss, tzinfo=_offset(tz_minutes or 0))
    except ValueError:
        return None
    return dt.astimezone(UTC)


def parse_date(value: str | None) -> datetime | None:
    """Read a feed date; None when nothing sensible can be made of it."""
    if not value:
        return None
    s = value.strip()
    if not s:
        return None
    if s.isdigit():
        n = int(s)
        if _TS_MIN * 1000 <= n <= _TS_MAX * 1000:
            n //= 1000  # JavaScript-style milliseconds
        if _TS_MIN <= n <= _TS_MAX:
            return datetime.fromtimestamp(n, UTC)
        return None
    m = _RFC822.match(s)
    if m:
        month = _EN_MONTHS.get(m.group(2).lower())
        if month:
            offset = 0
            if m.group(7):
                offset = (int(m.group(8)) * 60 + int(m.group(9))) * (-1 if m.group(7) == "-" else 1)
            try:
                return datetime(int(m.group(3)), month, int(m.group(1)), int(m.group(4)), int(m.group(5)),
                                int(m.group(6) or 0), tzinfo=_offset(offset)).astimezone(UTC)
            except ValueError:
                return None
    if (s[:4].isdigit() and "-" in s[:8]) or s[:8].isdigit():
        iso = _iso(s)
        if iso is not None:
            return iso
    return _loose(s)
