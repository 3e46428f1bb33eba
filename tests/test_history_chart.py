"""The terminal chart of `balctl history`: 80 columns, legend, time axis, gaps, colour or not."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from balctl.history.chart import draw, legend, segments, thin
from balctl.history.query import Point, Series
from tests.history_helpers import T0

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def hourly(profile: str, values: list[str | None], hours: list[int] | None = None) -> Series:
    hours = hours or list(range(len(values)))
    return Series(profile, "okx", "trading", "USD", None, [
        Point((T0 + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), None if v is None else Decimal(v))
        for hour, v in zip(hours, values)])


GAPPED = hourly("okx", ["1", "2", "3", None, None, None, "7", "8", "9"])
FALLING = hourly("sub", ["9", "8", "7", "6", "5", "4", "3", "2", "1"])


def test_plain_chart_fits_80_columns_with_legend_and_time_axis():
    text = draw([GAPPED, FALLING], width=80, height=12, colour=False, title="equity (USD)")
    lines = text.splitlines()
    assert "\x1b" not in text
    assert max(map(len, lines)) <= 80
    assert lines[0].strip() == "equity (USD)"
    assert lines[-1] == " ** okx · trading   ++ sub · trading"
    assert lines[-2].split() == ["01-01", "00:00", "01-01", "02:40", "01-01", "05:20", "01-01", "08:00"]
    # the gap is not a zero: the axis runs from 1 to 9
    labels = [line.split("┤")[0] for line in lines if "┤" in line]
    assert (labels[0], labels[-1]) == ("9.0", "1.0")
    assert set("".join(lines[1:-3])) <= set(" *+0123456789.┌┐└┘┬┤│─")


def test_a_gap_breaks_the_line():
    assert segments(GAPPED) == [
        [(T0.timestamp(), 1.0), (T0.timestamp() + 3600, 2.0), (T0.timestamp() + 7200, 3.0)],
        [(T0.timestamp() + 6 * 3600, 7.0), (T0.timestamp() + 7 * 3600, 8.0), (T0.timestamp() + 8 * 3600, 9.0)],
    ]
    # hours 3-5 plotted: no '*' in the columns between hour 2 and hour 6
    text = draw([GAPPED], width=80, height=12, colour=False)
    plot_rows = [line.split("┤", 1)[-1].split("│", 1)[-1] for line in text.splitlines()[1:-3]]
    columns_with_marker = sorted({i for row in plot_rows for i, c in enumerate(row) if c == "*"})
    holes = [b - a for a, b in zip(columns_with_marker, columns_with_marker[1:]) if b - a > 1]
    assert len(holes) == 1 and holes[0] > 20  # one hole, about 3/8 of the 75 plot columns


def test_a_long_pause_without_runs_breaks_the_line_too():
    paused = hourly("okx", ["1", "2", "3", "4", "5"], hours=[0, 1, 2, 10, 11])
    assert [len(part) for part in segments(paused)] == [3, 2]


def test_colour_chart_is_braille_and_still_80_columns():
    text = draw([GAPPED, FALLING], width=80, height=12, colour=True, title="equity (USD)")
    assert "\x1b[" in text
    plain = ANSI.sub("", text)
    assert max(map(len, plain.splitlines())) <= 80
    assert any(0x2800 < ord(c) <= 0x28FF for c in plain)
    assert plain.splitlines()[-1] == " ⣿⣿ okx · trading   ⣿⣿ sub · trading"


def test_one_point_and_only_gaps():
    single = draw([hourly("okx", ["5"])], width=80, height=10, colour=False)
    assert "01-01 00:00" in single and single.splitlines()[-1] == " ** okx · trading"
    empty = draw([hourly("okx", [None, None])], width=80, height=10, colour=False)
    assert "*" not in empty


def test_legend_wraps_to_the_width():
    keys = [("**", "a" * 30), ("++", "b" * 30), ("oo", "c" * 30)]
    assert legend(keys, 80) == [" ** " + "a" * 30 + "   ++ " + "b" * 30, " oo " + "c" * 30]


def test_thin_keeps_each_columns_lowest_and_highest_point_in_time_order():
    points = [(float(x), float(v)) for x, v in enumerate([5, 1, 9, 3, 4, 4, 2, 8, 6, 7, 0, 5])]
    # columns: x 0-3, 4-7, 8-11
    assert thin(points, 0.0, 11.0, 3) == [(1.0, 1.0), (2.0, 9.0), (6.0, 2.0), (7.0, 8.0), (9.0, 7.0), (10.0, 0.0)]
    assert thin(points[:6], 0.0, 5.0, 3) == points[:6]  # few enough points: all of them




def shown_on(out, tmp_path):
    from balctl.history.query import Request
    from balctl.history.view import show
    from tests.history_helpers import record_hours

    db = tmp_path / "h.sqlite"
    record_hours(db, {"okx": ["1", "2", None, "4"], "sub": ["3", "2", "1", "0.5"]})
    show(db, Request(since=T0, until=T0 + timedelta(hours=3)), "table", out)
    return out.getvalue()


def test_on_a_terminal_the_chart_is_coloured_and_fits_it(terminal_of, tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR")  # conftest sets it; COLUMNS=200 too, which the real size overrides
    text = shown_on(terminal_of(80), tmp_path)
    assert "\x1b[" in text and any(0x2800 < ord(c) <= 0x28FF for c in text)
    assert max(len(ANSI.sub("", line)) for line in text.splitlines()) <= 80


def test_no_color_on_a_terminal_means_plain_characters(terminal_of, tmp_path):
    text = shown_on(terminal_of(80), tmp_path)
    assert "\x1b" not in text and not any(0x2800 <= ord(c) <= 0x28FF for c in text)
    assert max(map(len, text.splitlines())) <= 80
    assert text.splitlines()[-1] == " ** okx · trading   ++ sub · trading"


def test_ticks_say_seconds_when_the_span_is_short():
    from balctl.history.chart import time_ticks

    start = T0.timestamp()
    assert time_ticks(start, start + 90, count=4)[1] == ["00:00:00", "00:00:30", "00:01:00", "00:01:30"]
    assert time_ticks(start, start + 40 * 86400, count=2)[1] == ["2026-01-01", "2026-02-10"]


def test_a_terminal_reporting_zero_columns_is_drawn_at_80(monkeypatch):
    """A fresh pty never given a window size reports 0x0: the history screen falls back to
    80 columns (COLUMNS unset), as it does off a terminal, instead of a zero width."""
    import os

    from balctl.history.view import screen

    class Tty:
        def __init__(self, fd: int) -> None:
            self.fd = fd

        def isatty(self) -> bool:
            return True

        def fileno(self) -> int:
            return self.fd

    monkeypatch.delenv("COLUMNS", raising=False)
    master, slave = os.openpty()
    try:
        assert os.get_terminal_size(slave).columns == 0
        assert screen(Tty(slave)) == (80, True)
    finally:
        os.close(master)
        os.close(slave)


def test_the_history_screen_reads_columns_in_ascii_digits_only(monkeypatch):
    """COLUMNS=١٢٠ (Arabic-Indic) is not 120 columns: the screen falls back to 80."""
    import io

    from balctl.history.view import screen

    monkeypatch.setenv("COLUMNS", "120")
    assert screen(io.StringIO()) == (120, False)
    monkeypatch.setenv("COLUMNS", "\u0661\u0662\u0660")
    assert screen(io.StringIO()) == (80, False)
    monkeypatch.setenv("COLUMNS", "1" * 5000)  # beyond what int() reads: not a crash, the default
    assert screen(io.StringIO()) == (80, False)
