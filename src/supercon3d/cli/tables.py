"""Tables printed three ways: fitted to a width, as tab-separated values, or as JSON.

A command describes its table once: its :class:`Column` s (header, priority, numeric or text)
and each row's cells as strings. ``--format table`` (the default) prints it with rich, fitted
to :func:`table_width`: the width of the terminal, or :data:`PIPE_WIDTH` when stdout is not a
terminal, or ``$COLUMNS`` when set. When every column does not fit, the columns of the
highest priority number are left out first (the rightmost of a tie), never one of priority
:data:`ALWAYS_SHOWN`, and one line on stderr names them. Numbers are never cut or wrapped;
text wraps at spaces, and a text column with ``fold_to`` may be narrowed to that many
characters, a longer word (a file name) folding onto the next line.

``--format tsv`` and ``--format json`` print the command's records, every field, on stdout
and nothing else (messages go to stderr), for ``cut``, ``awk`` or ``jq``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

from supercon3d.cli.progress import console, output
from supercon3d.cli.results import finite_or_none

TABLE, TSV, JSON = "table", "tsv", "json"
"""The choices of ``--format`` (:data:`supercon3d.cli.options.OutputFormat`)."""
PIPE_WIDTH = 80
"""Width (characters) of a table printed to a pipe or a file, unless ``$COLUMNS`` says."""
ALWAYS_SHOWN = 0
"""The priority of a column never left out."""
CELL_PADDING = 2
"""Blanks around a cell's text (one either side)."""
BORDERS = 1
"""Border characters per column, plus one for the table's left edge."""
FOLD_NAMES_TO = 16
"""The narrowest (characters) a column of file names or ids is made: a longer name folds."""
LIST_SEPARATOR = " | "
"""Between the items of a list in a TSV cell."""


@dataclass(frozen=True)
class Column:
    """One column of a printed table: ``priority`` 0 is always shown, higher numbers are left
    out first when the table is too wide; ``numeric`` cells are right-aligned and never cut;
    ``fold_to``: the narrowest a text column may be made (None: its longest word)."""

    header: str
    priority: int = ALWAYS_SHOWN
    numeric: bool = False
    fold_to: int | None = None


def table_width() -> int:
    """The width (characters) tables are fitted to: ``$COLUMNS`` when set, else the
    terminal's width when stdout is a terminal, else :data:`PIPE_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return output.size.width if output.is_terminal else PIPE_WIDTH


def _text_width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _widest_word(text: str) -> int:
    return max((_text_width(word) for word in text.split()), default=0)


def _range(column: Column, cells: list[str]) -> tuple[int, int]:
    """The narrowest and the widest (characters) ``column`` may be with these cells; its
    header is always whole."""
    header = _text_width(column.header)
    widest = max([header, *map(_text_width, cells)])
    if column.numeric:
        return widest, widest
    word = max([0, *map(_widest_word, cells)])
    if column.fold_to is not None:
        word = min(word, column.fold_to)
    return max(header, word), widest


def _overhead(n_columns: int, edges: bool) -> int:
    """Characters of a table row beside its cells' text: padding, separators, outer edges."""
    return n_columns * (CELL_PADDING + BORDERS) - BORDERS + (2 * BORDERS if edges else 0)


@dataclass(frozen=True)
class Fit:
    """How a table is printed at a width: the ``widths`` (characters of text) of the columns
    shown, by index in order, and whether it has its outer ``edges``."""

    widths: dict[int, int]
    edges: bool


def _fit(columns: Sequence[Column], ranges: list[tuple[int, int]], width: int, edges: bool) -> Fit:
    shown = list(range(len(columns)))

    def narrowest() -> int:
        return _overhead(len(shown), edges) + sum(ranges[i][0] for i in shown)

    while narrowest() > width:
        optional = [i for i in shown if columns[i].priority != ALWAYS_SHOWN]
        if not optional:
            break
        shown.remove(max(optional, key=lambda i: (columns[i].priority, i)))
    widths = {i: ranges[i][1] for i in shown}
    excess = _overhead(len(shown), edges) + sum(widths.values()) - width
    while excess > 0:
        narrowable = [i for i in shown if widths[i] > ranges[i][0]]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return Fit(widths, edges)


def fit_columns(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> Fit:
    """The columns shown at ``width`` characters and their widths. Columns are left out by
    priority until the rest fit at their narrowest; the widest text columns are then
    narrowed, each to no less than its narrowest. The table keeps its outer edges unless
    dropping them leaves fewer columns out."""
    ranges = [_range(column, [row[i] for row in rows]) for i, column in enumerate(columns)]
    framed = _fit(columns, ranges, width, edges=True)
    if len(framed.widths) == len(columns):
        return framed
    open_sided = _fit(columns, ranges, width, edges=False)
    return open_sided if len(open_sided.widths) > len(framed.widths) else framed


def print_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | None]],
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """The rows (a cell None is left blank) as a table on stdout fitted to
    :func:`table_width`, and one line on stderr naming the columns left out, if any."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"every row needs {len(columns)} cells, one per column")
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    width = table_width()
    fit = fit_columns(columns, rows, width)
    table = Table(title=title, caption=caption, show_edge=fit.edges)
    for i, text_width in fit.widths.items():
        column = columns[i]
        table.add_column(
            column.header,
            justify="right" if column.numeric else "left",
            width=text_width,
            no_wrap=column.numeric,
            overflow="fold",
        )
    for row in rows:
        table.add_row(*(Text(row[i]) for i in fit.widths))
    Console(width=width).print(table)  # the shared console caps a width at its own
    left_out = [column.header for i, column in enumerate(columns) if i not in fit.widths]
    if left_out:
        console.print(
            f"left out at {width} columns: {', '.join(left_out)}; --format tsv or json "
            "prints every column",
            highlight=False,
            soft_wrap=True,
        )


def _tsv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = LIST_SEPARATOR.join(_tsv_cell(item) for item in value)
    return " ".join(str(value).replace("\t", " ").splitlines())


def _flat(record: dict, prefix: str = "") -> dict:
    """A record with nested objects' fields as ``outer.inner`` keys."""
    flat = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def tsv_text(records: Sequence[dict]) -> str:
    """The records as tab-separated values: a header line with every key met (in order),
    then one line per record; an absent or non-finite value is an empty cell, a list's items
    are joined by :data:`LIST_SEPARATOR`, a nested object's fields become ``outer.inner``."""
    flat = [_flat(record) for record in finite_or_none(list(records))]
    keys = list(dict.fromkeys(key for record in flat for key in record))
    lines = ["\t".join(keys)]
    lines += ["\t".join(_tsv_cell(record.get(key)) for key in keys) for record in flat]
    return "\n".join(lines) + "\n"


def json_text(records: object) -> str:
    """Strict JSON (``null`` for a non-finite number), indented by one space."""
    return json.dumps(finite_or_none(records), indent=1, allow_nan=False)


def print_records(output_format: str, records: Sequence[dict]) -> None:
    """``records`` on stdout as :data:`TSV` or :data:`JSON` (``output_format``)."""
    import typer

    text = tsv_text(records) if output_format == TSV else json_text(list(records)) + "\n"
    typer.echo(text, nl=False)


def chosen_format(output_format: str, as_json: bool) -> str:
    """The format of a command that also takes the older ``--json`` flag (which means
    ``--format json``)."""
    return JSON if as_json else output_format
