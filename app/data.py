"""Data for EM Lab: the shipped teaching sets, and user CSV files that cannot break the lab.

Owns listing and loading the data sets in ``datasets/`` (installed as the package
``app.datasets`` and read through ``importlib.resources``, never relative to the current
directory), parsing user CSV text or bytes into a ``Dataset``, and every check on the data before
EM sees it.

* Every rejection raises ``DataError`` (a ``ValueError``) whose message says what was wrong and what
  to do. Nothing is half-loaded: a failed parse returns nothing, so whatever the caller held before
  is untouched (and a ``Dataset`` is immutable: its ``X`` is a read-only array).
* Every repair is reported, one sentence each, in ``Dataset.messages``: rows dropped (only when
  asked, ``drop_invalid=True``), a large file sampled, both columns standardised, a file read as
  Latin-1, duplicated points, a row-number column or a title line skipped.

Public names: ``names``, ``titles``, ``load``, ``parse_csv``, ``columns``, ``check_components``,
``n_distinct``, ``Dataset``, ``Columns``, ``DataError``, ``MAX_ROWS``, ``MAX_BYTES``.

Imports numpy, the standard library and ``app.em`` (for its ``Standardizer``) only: no pandas (it is
not loaded in the browser), nothing from the session or the views.
"""

from __future__ import annotations

import codecs
import csv
import functools
import itertools
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from types import MappingProxyType

import numpy as np

from app.em import Standardizer

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "Columns",
    "DataError",
    "Dataset",
    "check_components",
    "columns",
    "load",
    "n_distinct",
    "names",
    "parse_csv",
    "titles",
]

# More points than this are sampled down: at 20,000 points a half-step repaints in well under a
# tenth of a second in the browser (shared/PYODIDE.md), and a scatter plot shows nothing more.
MAX_ROWS = 20_000
# Larger files are refused outright: reading them would hold the page for seconds.
MAX_BYTES = 64 * 2**20
# The sample of a large file is drawn with this seed, so the same file always gives the same points.
_SAMPLE_SEED = 0
# Delimiter, header and column types are decided from the first rows of the file.
_PROBE_ROWS = 200
# Outside this band of standard deviations both columns are standardised: reg_covar is a variance
# added to every component (1e-6 by default, at most 1 in the lab), so below 1e-3 it swamps the
# data's own spread, and above 1e6 it can no longer make a difference (nor can "Break it").
_SMALLEST_SPREAD = 1e-3
_LARGEST_SPREAD = 1e6
# ... and when the values sit this many standard deviations from zero, float64 keeps too few digits
# of their differences.
_LARGEST_OFFSET = 1e7
# Cells that mean "no value" in files people export (R, pandas, spreadsheets), compared lowercase.
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?", ".", "missing", "#n/a"})
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+(?:[eE][+-]?\d+)?\s*$")
_ROW_NUMBER_NAMES = frozenset({"", "index", "id", "row", "rownames", "unnamed: 0", "#"})
# Leading bytes of the binary files people most often pick by mistake.
_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx or OpenDocument .ods workbook is one)",
    b"\xd0\xcf\x11\xe0": "an old-style Excel .xls workbook",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\x93NUMPY": "a NumPy .npy file",
    b"SQLite format 3": "an SQLite database",
}
_SAVE_AS_CSV = (
    "Save or export the data as CSV (text with one point per line, columns separated by commas, "
    "semicolons, tabs or spaces) and load that file."
)


EMPTY_FILE = ("The file is empty (no lines other than blank ones or # comments). Load a CSV file "
              "with two numeric columns and one point per line, such as '1.5,2.0'.")


class DataError(ValueError):
    """Data that EM Lab cannot use; the message says what was wrong and what to do."""


# --------------------------------------------------------------------------------------------------
# The data set


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points ready for EM, and what the lab tells the learner about them.

    Attributes
    ----------
    X : ndarray of shape (n_samples, 2)
        Finite float64 coordinates, read-only. Standard units when ``standardized``.
    name : str
        Identifier (``load(name)`` for shipped sets; the file name or "uploaded data" otherwise).
    columns : tuple of (str, str)
        The file's names of the two columns plotted as x and y.
    suggested_k : int or None
        A good number of components to start from; None for user data (no one knows yet).
    note : str
        One-line teaching note (shipped sets).
    title : str
        Human-readable name for the data picker.
    source : str
        Provenance, citation and licence (shipped sets).
    messages : tuple of str
        One sentence per thing the loader changed or noticed, for the user to read.
    n_rows : int
        Data rows in the file (before dropping or sampling).
    n_dropped : int
        Rows dropped for missing, infinite or non-numeric values (``drop_invalid=True``).
    n_duplicates : int
        Points that repeat an earlier point exactly.
    center, scale : ndarray of shape (2,) or None
        Set when standardised: ``X = (original - center) / scale``.
    hints : Mapping
        Set-specific facts for lessons, e.g. ``{"isolated_point": (6.0, 6.0)}`` (collapse demo) or
        ``{"init": "k-means++", "good_seed": 0, "bad_seed": 16}`` (local optima).
    """

    X: np.ndarray
    name: str
    columns: tuple[str, str]
    suggested_k: int | None = None
    note: str = ""
    title: str = ""
    source: str = ""
    messages: tuple[str, ...] = ()
    n_rows: int = 0
    n_dropped: int = 0
    n_duplicates: int = 0
    center: np.ndarray | None = None
    scale: np.ndarray | None = None
    hints: Mapping = field(default_factory=dict)

    def __post_init__(self):
        X = np.array(self.X, dtype=np.float64)  # a private copy: the caller's array stays theirs
        if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0 or not np.all(np.isfinite(X)):
            raise DataError(
                f"X must be a non-empty, finite array of shape (n_samples, 2); got {X.shape}."
            )
        X.flags.writeable = False
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "messages", tuple(self.messages))
        object.__setattr__(self, "title", self.title or self.name)
        # Read-only all the way down: JSON lists (a point's coordinates) become tuples.
        hints = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(self.hints).items()}
        object.__setattr__(self, "hints", MappingProxyType(hints))
        for attribute in ("center", "scale"):
            value = getattr(self, attribute)
            if value is not None:
                value = np.array(value, dtype=np.float64)
                value.flags.writeable = False
                object.__setattr__(self, attribute, value)

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def standardized(self) -> bool:
        return self.center is not None

    @property
    def standardizer(self) -> Standardizer | None:
        """The map from the file's units to ``X`` (``em.Standardizer``), or None."""
        return Standardizer(self.center, self.scale) if self.standardized else None

    @property
    def axis_labels(self) -> tuple[str, str]:
        """Column names for the plot axes, marked when the values are in standard units."""
        if self.standardized:
            return tuple(f"{name} (standardised)" for name in self.columns)
        return self.columns

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n_samples={self.n_samples}, columns={self.columns}, "
            f"suggested_k={self.suggested_k})"
        )


def n_distinct(X) -> int:
    """The number of different points in ``X`` (array of shape (n_samples, 2) or a Dataset)."""
    X = X.X if isinstance(X, Dataset) else np.asarray(X, dtype=np.float64)
    if X.ndim == 2 and X.shape[1] == 2:
        # Each row as one complex number: a plain sort, several times faster than unique(axis=0).
        return int(np.unique(np.ascontiguousarray(X).view(np.complex128)).size)
    return int(np.unique(X, axis=0).shape[0]) if X.size else 0


def check_components(X, n_components: int) -> None:
    """Refuse a number of components the data cannot support.

    EM needs at least as many different points as components: with fewer, some component must
    start on a point another already holds, or on nothing at all.

    Raises
    ------
    DataError
        If ``n_components`` is not a whole number >= 1 or exceeds the number of distinct points.
    """
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise DataError(f"K must be a whole number of components; got {n_components!r}.")
    if n_components < 1:
        raise DataError(f"K must be at least 1; got {n_components}. Choose 1 or more components.")
    distinct = n_distinct(X)
    if n_components > distinct:
        raise DataError(
            f"K = {n_components} components need at least {n_components} different points; "
            f"this data has only {distinct}. Lower K to {distinct} or fewer, or add points."
        )


# --------------------------------------------------------------------------------------------------
# The shipped sets


@functools.cache
def _index() -> tuple[Mapping, ...]:
    text = resources.files("app.datasets").joinpath("index.json").read_text(encoding="utf-8")
    return tuple(MappingProxyType(entry) for entry in json.loads(text))


def _entry(name: str) -> Mapping:
    for entry in _index():
        if entry["name"] == name:
            return entry
    raise DataError(f"There is no data set named {name!r}. Choose one of: {', '.join(names())}.")


def names() -> list[str]:
    """The shipped data sets, in the order the lab lists them."""
    return [entry["name"] for entry in _index()]


def titles() -> dict[str, str]:
    """Each shipped set's human-readable title, keyed by name (for the data picker)."""
    return {entry["name"]: entry["title"] for entry in _index()}


@functools.cache
def load(name: str) -> Dataset:
    """The shipped data set ``name`` (one of ``names()``), with its suggested K and teaching note.

    Cached: a Dataset is immutable, so every caller may share one.
    """
    entry = _entry(name)
    text = resources.files("app.datasets").joinpath(entry["file"]).read_text(encoding="utf-8")
    data = parse_csv(text, x=entry["x"], y=entry["y"], name=name, max_rows=entry["n_samples"])
    source = f"{entry['source']}. {entry['citation']} Licence: {entry['licence']}."
    return replace(
        data,
        # the axes' words for learners ("petal length (cm)"), where the file's names are code-like
        columns=tuple(entry.get("labels", data.columns)),
        suggested_k=entry["suggested_k"],
        note=entry["note"],
        title=entry["title"],
        source=source,
        hints=entry.get("hints", {}),
    )


# --------------------------------------------------------------------------------------------------
# Parsing user files


def parse_csv(
    data: str | bytes,
    *,
    x: str | int | None = None,
    y: str | int | None = None,
    standardize: bool = False,
    drop_invalid: bool = False,
    max_rows: int = MAX_ROWS,
    name: str = "uploaded data",
) -> Dataset:
    """Parse CSV text (or the bytes of a file) into a Dataset of two numeric columns.

    Accepts a header row or none; commas, semicolons, tabs or runs of spaces between columns
    (decimal commas too, when columns are not comma-separated); blank lines and ``#`` comments.

    Parameters
    ----------
    data : str or bytes
        The file's content. Bytes are decoded as UTF-8 (with or without a byte-order mark), UTF-16
        when it has one, and otherwise as Latin-1 (with a message).
    x, y : str or int, optional
        The columns to plot, by name or 0-based position. By default the first two numeric
        columns (skipping a leading row-number column when there are more than two).
    standardize : bool
        Rescale both columns to mean 0 and standard deviation 1. Done anyway, with a message, when
        a column's spread is below 1e-3 or above 1e6 (or its values sit more than 1e7 spreads from
        zero): there reg_covar would swamp the data, or could no longer make a difference.
    drop_invalid : bool
        Drop rows whose x or y is missing, infinite or not a number (with a message saying how
        many). Without it such rows are refused, and the message says how many there are.
    max_rows : int
        A file with more data rows is read from a random sample of this many of them, the same
        sample every time, with a message.
    name : str
        The Dataset's name (e.g. the file name).

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        For anything EM Lab cannot use; the message says what was wrong and what to do.
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 2:
        raise DataError(f"max_rows must be a whole number of at least 2; got {max_rows!r}.")
    messages: list[str] = []
    text = _decode(data, messages)
    table = _Table.read(text, messages)
    ix, iy = _choose_columns(table, x, y, messages)
    columns = (table.header[ix], table.header[iy])
    commas = [name for j, name in zip((ix, iy), columns) if table.decimal_comma[j]]
    if commas:
        messages.append(
            f"Read decimal commas in {' and '.join(repr(c) for c in commas)} (3,6 as 3.6)."
        )

    n_rows = len(table.rows)
    rows = table.rows
    if n_rows > max_rows:
        keep = np.sort(np.random.default_rng(_SAMPLE_SEED).choice(n_rows, max_rows, replace=False))
        rows = rows[keep]
        messages.append(
            f"The file has {n_rows:,} rows of data; EM Lab read a random sample of {max_rows:,} "
            "of them (the same sample every time) so the page stays responsive. To use other rows, "
            "upload a smaller file."
        )
    sampled = " (in the sample read)" if n_rows > max_rows else ""

    cells = table.split(rows)
    values, missing, texts = zip(
        *(_to_floats(table.column(cells, j), table.decimal_comma[j]) for j in (ix, iy))
    )
    X = np.column_stack(values)
    has_text = texts[0] | texts[1]
    invalid = has_text | missing[0] | missing[1]
    n_invalid = int(invalid.sum())
    if n_invalid:
        first = table.line(rows[int(np.flatnonzero(invalid)[0])])
        where = f"'{columns[0]}' or '{columns[1]}'"
        if not drop_invalid:
            problems = []
            for j, column, is_text in zip((ix, iy), columns, texts):
                if is_text.any():
                    k = int(np.flatnonzero(is_text)[0])
                    count = int(is_text.sum())
                    example = _clip(table.column(cells, j)[k])
                    problems.append(
                        f"Column '{column}' has {_plural(count, 'cell')} that "
                        f"{'are' if count > 1 else 'is'} not a number{sampled}, e.g. "
                        f"'{example}' on line {table.line(rows[k])}."
                    )
            n_missing = int(((missing[0] | missing[1]) & ~has_text).sum())
            if n_missing:
                problems.append(
                    f"{_plural(n_missing, 'row')} {'have' if n_missing > 1 else 'has'} a value "
                    f"that is empty or not a finite number in {where}{sampled}."
                )
            raise DataError(
                " ".join(problems)
                + f" In all, {n_invalid} of {len(rows):,} rows cannot be used (the first on line "
                f"{first}). Tick 'Drop rows with missing or invalid values' to leave them out, "
                "fix them in the file, or choose other columns."
            )
        if n_invalid == len(rows):
            raise DataError(
                f"No row has numbers in both '{columns[0]}' and '{columns[1]}'{sampled}, so "
                "nothing is left to fit. "
                "Choose other columns or another file."
            )
        X = X[~invalid]
        messages.append(
            f"Dropped {n_invalid} of {len(rows):,} rows{sampled} with a missing, infinite or "
            f"non-numeric value in {where} (the first on line {first})."
        )

    _check_points(X, columns, messages)
    n_duplicates = X.shape[0] - n_distinct(X)
    if n_duplicates:
        messages.append(
            f"{_plural(n_duplicates, 'point')} {'repeat' if n_duplicates > 1 else 'repeats'} an "
            "earlier point exactly; every copy counts, so a component can settle on a stack of "
            "copies."
        )
    X, center, scale = _maybe_standardize(X, columns, standardize, messages)
    return Dataset(
        X=X,
        name=name,
        columns=columns,
        messages=tuple(messages),
        n_rows=n_rows,
        n_dropped=n_invalid,
        n_duplicates=n_duplicates,
        center=center,
        scale=scale,
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _clip(cell: str, width: int = 30) -> str:
    """A cell as it can be quoted in a message: stripped, and cut short if long."""
    cell = cell.strip()
    return cell if len(cell) <= width else cell[: width - 1] + "\u2026"


# --------------------------------------------------------------------------------------------------
# Listing a file's columns (for a picker)


@dataclass(frozen=True)
class Columns:
    """The columns of a CSV file as ``parse_csv`` sees them, for a column picker.

    Attributes
    ----------
    names : tuple of str
        One per column: the header's names, or "column 1", "column 2", ... without a header.
    numeric : tuple of bool
        Per column: does it hold numbers (so it can be x or y)?
    x, y : int or None
        The 0-based columns ``parse_csv`` plots when not told which; None when it cannot choose
        (fewer than two numeric columns).
    """

    names: tuple[str, ...]
    numeric: tuple[bool, ...]
    x: int | None
    y: int | None


def columns(data: str | bytes) -> Columns:
    """The columns of a CSV file (text or bytes), read as ``parse_csv`` reads them.

    Only the first rows are split (header, delimiter and column types are decided there), so this
    is quick even for a file of a million rows.

    Raises
    ------
    DataError
        When ``parse_csv`` would refuse the file whatever the columns: binary, empty, too large, a
        header without rows.
    """
    table = _Table.read(_decode(data, []), [], head=2 * _PROBE_ROWS + 2)
    try:
        x, y = _choose_columns(table, None, None, [])
    except DataError:
        x = y = None
    return Columns(tuple(table.header), tuple(table.numeric), x, y)


# --------------------------------------------------------------------------------------------------
# From bytes to text


def _binary(what: str) -> DataError:
    return DataError(f"This looks like a binary file ({what}), not CSV text. {_SAVE_AS_CSV}")


def _decode(data, messages: list[str]) -> str:
    """The file's text; refuses binary files and files too large to read quickly."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) > MAX_BYTES:
            raise _too_large(len(raw))
        for signature, what in _SIGNATURES.items():
            if raw.startswith(signature):
                raise DataError(f"This file is {what}, not CSV text. {_SAVE_AS_CSV}")
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # Excel's "Unicode text" export: UTF-16 with a byte-order mark (and NUL bytes galore).
            try:
                text = raw.decode("utf-16")
            except UnicodeDecodeError:
                raise _binary("it starts like UTF-16 text but does not decode as such") from None
            messages.append("Read the file as UTF-16 text, as its byte-order mark says.")
        elif b"\x00" in raw:
            raise _binary("it contains zero bytes, which text files do not")
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                # Most files that are not UTF-8 come from Windows spreadsheets: Windows-1252, a
                # superset of Latin-1 (it has the euro sign and typographic quotes where Latin-1
                # has control codes). Latin-1 maps every byte to a character, so it cannot fail.
                for encoding, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
                    try:
                        text = raw.decode(encoding)
                        break
                    except UnicodeDecodeError:
                        continue
                messages.append(
                    f"The file is not UTF-8 (byte {error.start + 1:,} is not valid UTF-8), so it "
                    f"was read as {label}, the Western European encoding of older spreadsheets. "
                    "If accented letters in column names look wrong, save the file as UTF-8 and "
                    "load it again."
                )
    elif isinstance(data, str):
        if len(data) > MAX_BYTES:
            raise _too_large(len(data))
        text = data.removeprefix("\ufeff")
    else:
        raise DataError(f"Expected the file's text or bytes; got {type(data).__name__}.")
    if "\x00" in text:
        raise _binary("it contains NUL characters, which text files do not")
    head = text[:8192]
    controls = sum(1 for ch in head if ch < " " and ch not in "\t\n\r\f\v" or "\x7f" <= ch < "\xa0")
    # Text has almost no control characters; random bytes read as Latin-1 are one quarter of them.
    # (A stray one or two in a short file is not enough to call it binary.)
    if controls > max(0.05 * len(head), 3):
        raise _binary(f"{controls:,} of its first {len(head):,} characters are control codes")
    return text


def _too_large(size: int) -> DataError:
    return DataError(
        f"The file is {size / 2**20:.1f} MB; EM Lab reads files up to {MAX_BYTES / 2**20:.0f} MB. "
        "Keep only the two columns you need, or a sample of the rows, and load that."
    )


# --------------------------------------------------------------------------------------------------
# From text to a table


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in _MISSING


class _Table:
    """The lines of a CSV file, with its delimiter, column names and column types worked out.

    Rows stay unsplit lines until ``split``: a large file is split only for the rows sampled.
    """

    def __init__(self, lines, rows, delimiter, header, numeric, decimal_comma, examples):
        self.lines = lines  # every line of the file
        self.rows = rows  # indices into lines of the data rows
        self.delimiter = delimiter  # None: runs of whitespace
        self.header = header  # one name per column
        self.numeric = numeric  # per column: mostly numbers?
        self.decimal_comma = decimal_comma  # per column: numbers written as 3,6
        self.examples = examples  # per column: a non-numeric cell, for messages

    @staticmethod
    def line(row: int) -> int:
        return row + 1

    def split(self, rows) -> list[list[str]]:
        lines = [self.lines[i] for i in rows]
        if self.delimiter is None:
            return [[cell.strip('"') for cell in line.split()] for line in lines]
        if '"' not in "".join(lines):
            # No quotes, so no delimiter inside a cell: str.split does what csv.reader does, faster.
            return [line.split(self.delimiter) for line in lines]
        try:
            return list(csv.reader(lines, delimiter=self.delimiter, skipinitialspace=True))
        except csv.Error as error:
            raise DataError(
                f"The file cannot be read as CSV ({error}). {_SAVE_AS_CSV}"
            ) from None

    @staticmethod
    def column(cells: list[list[str]], j: int) -> list[str]:
        # A short row lacks the cell: read as empty, i.e. missing.
        return [row[j] if j < len(row) else "" for row in cells]

    @classmethod
    def read(cls, text: str, messages: list[str], head: int | None = None) -> "_Table":
        """The table of ``text``; with ``head``, of its first lines that hold ``head`` data rows.

        Everything but the rows is decided from the first ``_PROBE_ROWS`` data rows, so a head of
        more than that many gives the same delimiter, header and column types as the whole text.
        """
        lines = text.splitlines() if head is None else _head_lines(text, head)
        rows = _data_rows(lines, "#" in text)
        if not rows.size:
            raise DataError(EMPTY_FILE)
        delimiter = _sniff([lines[i] for i in rows[: _PROBE_ROWS + 1]])
        table = cls(lines, rows, delimiter, [], [], [], [])
        probe = table.split(rows[: _PROBE_ROWS + 1])
        ncols = Counter(map(len, probe[1:] or probe)).most_common(1)[0][0]
        # A title line above the table (one cell of text over rows of several): skip it, say so.
        while (
            len(probe) > 2 and len(probe[0]) == 1 < ncols
            and _number_kind(probe[0][0], True) == "text"
        ):
            messages.append(
                f"Skipped line {rows[0] + 1} ('{_clip(probe[0][0])}'): a title, not part of the "
                "table."
            )
            probe, rows = probe[1:], rows[1:]
        first, rest = probe[0], probe[1:]
        has_header = _has_header(first, rest, ncols, delimiter)
        if has_header:
            rows = rows[1:]
            names = [cell.strip() for cell in first]
            if len(names) == ncols - 1:  # R's write.table: no name over the row-name column
                names.insert(0, "")
            ncols = max(ncols, len(names))
            if not rows.size:
                raise DataError(
                    f"The file has a header ({', '.join(n for n in names if n)}) but no rows of "
                    "data under it. Add one row of numbers per point."
                )
        else:
            names, rest = [], probe
        header = [
            names[j] if j < len(names) and names[j] else f"column {j + 1}" for j in range(ncols)
        ]
        numeric, decimal_comma, examples = _column_types(rest, ncols, delimiter)
        return cls(lines, rows, delimiter, header, numeric, decimal_comma, examples)


def _data_rows(lines: list[str], comments: bool) -> np.ndarray:
    """Indices of the lines that are neither blank nor (when ``comments``) # comments."""
    # With a million lines a Python loop takes a second; map() over str methods runs in C.
    n = len(lines)
    keep = np.fromiter(map(bool, lines), bool, n)
    keep &= ~np.fromiter(map(str.isspace, lines), bool, n)
    if comments:
        comment = map(str.startswith, map(str.lstrip, lines), itertools.repeat("#"))
        keep &= ~np.fromiter(comment, bool, n)
    return np.flatnonzero(keep)


def _head_lines(text: str, n_rows: int) -> list[str]:
    """The first lines of ``text`` that hold at least ``n_rows`` data rows (all lines if fewer)."""
    size = 1 << 16
    while size < len(text):
        chunk = text[:size]
        lines = chunk.splitlines()[:-1]  # the last line may be cut short: leave it out
        if _data_rows(lines, "#" in chunk).size >= n_rows:
            return lines
        size *= 4
    return text.splitlines()


def _sniff(lines: list[str]) -> str | None:
    """The delimiter that splits (nearly) every probe line into the same number (> 1) of fields.

    The first line is left out of the count: a header may have one name fewer than the rows (R's
    row names) or be a title.
    """
    rest = lines[1:] or lines

    def consistent(counts: Counter) -> bool:
        fields, count = counts.most_common(1)[0]
        return fields > 1 and count >= 0.8 * len(rest)

    for delimiter in ("\t", ";", ","):
        try:
            if consistent(Counter(map(len, csv.reader(rest, delimiter=delimiter)))):
                return delimiter
        except csv.Error:
            continue
    if consistent(Counter(len(line.split()) for line in rest)):
        return None
    return ","  # one column, or no consistent layout: the column checks explain what is wrong


def _allows_decimal_comma(delimiter) -> bool:
    return delimiter != ","


def _number_kind(cell: str, decimal_comma: bool) -> str:
    """'number', 'comma' (a decimal comma such as 3,6), 'missing' or 'text'."""
    if _is_number(cell):
        return "number"
    if decimal_comma and _DECIMAL_COMMA.match(cell):
        return "comma"
    return "missing" if _is_missing(cell) else "text"


def _has_header(first, rest, ncols, delimiter) -> bool:
    """Whether the first row names the columns.

    It does if it holds text where the rows below hold numbers, or holds nothing but text. A row of
    text above rows of text (species, island) is data, not a header, only when some of its cells
    are numbers.
    """
    comma = _allows_decimal_comma(delimiter)
    kinds = [_number_kind(cell, comma) for cell in first]
    texts = [j for j, kind in enumerate(kinds) if kind == "text"]
    if not texts:
        return False
    if len(texts) == len(first) or not rest:
        return True
    numeric, _, _ = _column_types(rest, max(ncols, len(first)), delimiter)
    # R's write.table leaves the row-name column unnamed: the names then sit one column left.
    shift = 1 if len(first) == ncols - 1 else 0
    return any(numeric[j + shift] for j in texts if j + shift < len(numeric))


def _column_types(rows, ncols, delimiter):
    """Per column: numeric (numbers outnumber text), written with decimal commas, a text example."""
    comma = _allows_decimal_comma(delimiter)
    numeric, decimal_comma, examples = [], [], []
    for j in range(ncols):
        kinds = Counter()
        example = ""
        for row in rows:
            cell = row[j] if j < len(row) else ""
            kind = _number_kind(cell, comma)
            kinds[kind] += 1
            if kind == "text" and not example:
                example = cell
        numbers = kinds["number"] + kinds["comma"]
        numeric.append(numbers > 0 and numbers >= kinds["text"])
        decimal_comma.append(kinds["comma"] > 0)
        examples.append(example)
    return numeric, decimal_comma, examples


# --------------------------------------------------------------------------------------------------
# Choosing the two columns


def _resolve(spec, table: _Table, role: str) -> int:
    header = table.header
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        if -len(header) <= spec < len(header):
            return int(spec) % len(header)
        raise DataError(
            f"{role} = {spec} is not a column: the file has {len(header)} columns, numbered 0 to "
            f"{len(header) - 1} ({', '.join(header)})."
        )
    if isinstance(spec, str):
        for wanted in (spec, spec.strip().lower()):
            matches = [j for j, name in enumerate(header) if name == wanted or
                       name.strip().lower() == wanted]
            if matches:
                return matches[0]
        raise DataError(
            f"There is no column named '{spec}' for {role}. The columns are: {', '.join(header)}."
        )
    raise DataError(f"{role} must be a column name or a 0-based column number; got {spec!r}.")


def _row_numbers_start(table: _Table, j: int) -> int | None:
    """0 or 1 if column j counts the rows from there (pandas' index, R's row names), else None."""
    cells = table.column(table.split(table.rows[:_PROBE_ROWS]), j)
    values, missing, text = _to_floats(cells, False)
    if len(values) < 3 or missing.any() or text.any():
        return None
    for start in (0, 1):
        if np.array_equal(values, np.arange(start, start + len(values))):
            return start
    return None


def _choose_columns(table: _Table, x, y, messages: list[str]) -> tuple[int, int]:
    header = table.header
    if len(header) == 1:
        raise DataError(
            f"The file has only one column ('{header[0]}'); EM Lab needs two numeric columns, x "
            "and y. Add a second column (separated by a comma, semicolon, tab or spaces), or load "
            "another file."
        )
    numeric = [j for j, is_numeric in enumerate(table.numeric) if is_numeric]
    chosen = {}
    for role, spec in (("x", x), ("y", y)):
        if spec is None:
            continue
        j = _resolve(spec, table, role)
        if not table.numeric[j]:
            others = ", ".join(header[k] for k in numeric) or "none"
            raise DataError(
                f"Column '{header[j]}' holds text (e.g. '{_clip(table.examples[j])}'), not "
                f"numbers, so it cannot be {role}. Numeric columns: {others}."
            )
        chosen[role] = j
    if "x" in chosen and "y" in chosen and chosen["x"] == chosen["y"]:
        raise DataError(
            f"x and y are both column '{header[chosen['x']]}'. Choose two different columns."
        )
    free = [j for j in numeric if j not in chosen.values()]
    if not chosen and len(free) > 2 and free[0] == 0:
        start = _row_numbers_start(table, 0)
        if start is not None:
            messages.append(
                f"Skipped column '{header[0]}': its values {start}, {start + 1}, {start + 2}, ... "
                "look like row numbers. Choose it as x or y if you meant it."
            )
            free = free[1:]
    for role in ("x", "y"):
        if role not in chosen:
            if not free:
                raise _too_few_numeric(header, numeric)
            chosen[role] = free.pop(0)
    return chosen["x"], chosen["y"]


def _too_few_numeric(header, numeric) -> DataError:
    text = [name for j, name in enumerate(header) if j not in numeric]
    if not numeric:
        return DataError(
            f"None of the {len(header)} columns ({', '.join(header)}) holds numbers. EM Lab needs "
            "two numeric columns: check the file has numbers, written with a decimal point."
        )
    return DataError(
        f"Only one column ('{header[numeric[0]]}') holds numbers; "
        f"{', '.join(repr(name) for name in text)} hold{'s' if len(text) == 1 else ''} text. "
        "EM Lab needs two numeric columns: "
        "add one, or load another file."
    )


# --------------------------------------------------------------------------------------------------
# From cells to numbers, and checks on the points


def _to_floats(cells: list[str], decimal_comma: bool):
    """``(values, missing, text)``: float64 values (NaN where unusable) and two boolean masks.

    ``missing`` marks empty, NA-like, NaN and infinite cells; ``text`` marks cells that are not
    numbers at all.
    """
    if decimal_comma:
        cells = [cell.replace(",", ".") for cell in cells]
    try:
        values = np.array(cells, dtype=np.float64)  # numpy parses the strings in C: the fast path
        text = np.zeros(len(cells), dtype=bool)
    except (ValueError, TypeError, OverflowError):
        values = np.empty(len(cells))
        text = np.zeros(len(cells), dtype=bool)
        for i, cell in enumerate(cells):
            try:
                values[i] = float(cell)
            except ValueError:
                values[i] = np.nan
                text[i] = not _is_missing(cell)
    missing = ~np.isfinite(values) & ~text
    return values, missing, text


def _format_point(point) -> str:
    return f"({point[0]:.6g}, {point[1]:.6g})"


def _check_points(X: np.ndarray, columns, messages: list[str]) -> None:
    n = X.shape[0]
    if n == 1:
        raise DataError(
            f"Only one point {_format_point(X[0])} was found; EM needs at least two different "
            "points. Add rows, or choose other columns."
        )
    if np.all(X == X[0]):
        raise DataError(
            f"All {n:,} points are the same point {_format_point(X[0])}. A Gaussian needs points "
            "that differ: choose other columns or another file."
        )
    for j, column in enumerate(columns):
        if np.all(X[:, j] == X[0, j]):
            messages.append(
                f"Every point has the same '{column}', {X[0, j]:.6g}: the points lie on a line, so "
                "each component's spread across it is the variance floor ε alone. Add a little "
                "jitter or choose another column."
            )


def _standard_units(X: np.ndarray):
    """``(Z, center, scale)`` with ``Z = (X - center) / scale``, safe from overflow and underflow.

    Each column is first divided by its largest absolute value, so squares of 1e200 or 1e-200
    stay representable; a constant column keeps scale 1 (dividing by 0 would lose every point).
    """
    largest = np.max(np.abs(X), axis=0)
    largest = np.where(largest > 0, largest, 1.0)
    U = X / largest
    mean = U.mean(axis=0)
    spread = U.std(axis=0)
    varies = spread > 0
    Z = np.where(varies, (U - mean) / np.where(varies, spread, 1.0), 0.0)
    center = np.where(varies, mean * largest, X[0])
    scale = np.where(varies, spread * largest, 1.0)
    return Z, center, scale


def _maybe_standardize(X, columns, standardize: bool, messages: list[str]):
    Z, center, scale = _standard_units(X)
    reasons = []
    for j, column in enumerate(columns):
        if np.all(X[:, j] == X[0, j]):
            continue
        if scale[j] < _SMALLEST_SPREAD:
            reasons.append(f"'{column}' varies by only about {scale[j]:.1e}")
        elif scale[j] > _LARGEST_SPREAD:
            reasons.append(f"'{column}' varies by about {scale[j]:.1e}")
        elif abs(center[j]) > _LARGEST_OFFSET * scale[j]:
            reasons.append(
                f"'{column}' sits about {abs(center[j]):.1e} from zero but varies by only "
                f"{scale[j]:.1e}"
            )
    if reasons:
        messages.append(
            f"Standardised both columns (each value minus the column's mean, divided by its "
            f"standard deviation) because {' and '.join(reasons)}: at that scale the variance "
            "floor ε, added to every component's variance, would swamp the data or make no "
            "difference. The axes now show standard units."
        )
    elif standardize:
        messages.append(
            "Standardised both columns (each value minus the column's mean, divided by its "
            "standard deviation); the axes show standard units."
        )
    else:
        return X, None, None
    return Z, center, scale
