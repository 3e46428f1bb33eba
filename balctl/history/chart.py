"""The terminal line chart of `balctl history`, drawn with plotext (imported here only).

One chart per unit (USD and USDT are never drawn on one axis), one line per account, a
legend under it, UTC time on the x axis. A gap (a None point, or a pause of more than three usual
intervals between runs) ends a line segment: the line resumes after it, never through
zero. With colour, lines are braille-drawn and coloured; with NO_COLOR or off a terminal,
each line is drawn with its own plain character (`*`, `+`, `o`, ...) and no escape codes.

Values are converted to float here, for drawing only: every figure printed as a number
comes from the exact `Decimal`s of `query`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from statistics import median

from balctl.history.query import Series

COLOURS = ("blue+", "green+", "red+", "cyan+", "magenta+", "yellow+", "white", "orange")
PLAIN_MARKERS = ("*", "+", "o", "x", "#", "@", "%", "=")
MAX_LINES = len(PLAIN_MARKERS)
"""More lines than this cannot be told apart in plain characters."""
GAP_FACTOR = 3
"""A pause longer than this many usual intervals between points breaks the line."""


def draw(series: list[Series], *, width: int, height: int, colour: bool, title: str = "") -> str:
    """The chart as text, `width` columns wide (at least 40); series without points are left out."""
    import plotext as plt  # deferred: only `balctl history` pays for it

    drawn = [one for one in series if any(point.value is not None for point in one.points)][:MAX_LINES]
    plt.clear_figure()
    plt.plotsize(max(width, 40), max(height, 8))
    plt.theme("clear")
    if title:
        plt.title(title)
    parts = [segments(one) for one in drawn]
    starts = [segment[0][0] for pieces in parts for segment in pieces]
    ends = [segment[-1][0] for pieces in parts for segment in pieces]
    columns = max(width, 40) * (2 if colour else 1)  # braille has two dots per cell across
    for index, pieces in enumerate(parts):
        style = {"color": COLOURS[index], "marker": "braille"} if colour else {"marker": PLAIN_MARKERS[index]}
        for segment in pieces:
            segment = thin(segment, min(starts), max(ends), columns)
            plt.plot([x for x, _ in segment], [y for _, y in segment], **style)
    if starts:
        low, high = min(starts), max(ends)
        ticks, labels = time_ticks(low, high, count=_tick_count(width))
        plt.xticks(ticks, labels)
        if high == low:
            plt.xlim(low - 1, high + 1)
    text = plt.build()
    plt.clear_figure()
    if not colour:
        text = plt.uncolorize(text)
    lines = [line.rstrip() for line in text.splitlines()]
    keys = [(_key(plt, index, colour), one.label) for index, one in enumerate(drawn)]
    return "\n".join(lines + legend(keys, width)) + "\n"


def _key(plt, index: int, colour: bool) -> str:
    """The line's sample for the legend: its colour, or its plain character."""
    return plt.colorize("⣿⣿", COLOURS[index]) if colour else PLAIN_MARKERS[index] * 2


def legend(keys: list[tuple[str, str]], width: int) -> list[str]:
    """Under the chart rather than inside it, where plotext's own legend hides the start of
    the lines; entries wrapped to the width."""
    lines: list[str] = []
    current, used = "", 0
    for key, label in keys:
        size = 3 + len(label)  # the key is two cells wide, then a space
        if current and used + 3 + size > width:
            lines.append(current)
            current, used = "", 0
        current += ("   " if current else " ") + f"{key} {label}"
        used += (3 if used else 1) + size
    if current:
        lines.append(current)
    return lines


def segments(series: Series) -> list[list[tuple[float, float]]]:
    """The series' points as (epoch seconds, value) runs, cut at every gap."""
    timed = [(point.moment.timestamp(), point.value) for point in series.points]
    steps = [later[0] - earlier[0] for earlier, later in zip(timed, timed[1:])]
    usual = median(steps) if steps else 0.0
    result: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    previous: float | None = None
    for at, value in timed:
        pause = previous is not None and usual > 0 and at - previous > GAP_FACTOR * usual
        if value is None or pause:
            if current:
                result.append(current)
            current = []
        if value is not None:
            current.append((at, float(value)))
        previous = at
    if current:
        result.append(current)
    return result


def thin(segment: list[tuple[float, float]], low: float, high: float, columns: int) -> list[tuple[float, float]]:
    """At most the lowest and the highest point of each screen column, in time order: what
    a column can show, for a fraction of plotext's time (a month of hourly runs is 720
    points per line on 75 columns)."""
    if len(segment) <= 2 * columns or high <= low:
        return segment
    scale = columns / (high - low)
    buckets: dict[int, list[tuple[float, float]]] = {}
    for point in segment:
        buckets.setdefault(min(int((point[0] - low) * scale), columns - 1), []).append(point)
    kept: list[tuple[float, float]] = []
    for points in buckets.values():
        lowest = min(points, key=lambda point: point[1])
        highest = max(points, key=lambda point: point[1])
        kept.extend(sorted({lowest, highest}))
    return kept


def time_ticks(low: float, high: float, *, count: int) -> tuple[list[float], list[str]]:
    """Evenly spaced ticks labelled in UTC: dates for a long span, date and time otherwise."""
    span = high - low
    form = "%Y-%m-%d" if span > 20 * 86400 else "%m-%d %H:%M" if span > 2 * 3600 else "%H:%M:%S"
    if span <= 0:
        return [low], [_utc(low, "%m-%d %H:%M")]
    ticks = [low + span * step / (count - 1) for step in range(count)]
    return ticks, [_utc(tick, form) for tick in ticks]


def _tick_count(width: int) -> int:
    return max(2, min(6, width // 20))


def _utc(epoch: float, form: str) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime(form)
