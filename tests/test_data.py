"""app.data: parsing user CSV files into Datasets, and refusing bad ones with a clear message that
leaves whatever was loaded before untouched."""

import codecs

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import data
from app.data import DataError

GOOD = "x,y\n1.0,2.0\n2.0,1.0\n3.0,4.0\n5.0,3.5\n"
PENGUIN_LIKE = (
    "species,island,bill,depth,flipper\nA,T,39.1,18.7,181\nG,B,46.1,13.2,211\nC,D,46.5,17.9,192\n"
)


@pytest.fixture
def loaded():
    """A data set loaded before a bad file arrives, and a snapshot of everything it holds."""
    dataset = data.parse_csv(GOOD, name="before")
    shipped = data.load("old_faithful")
    snapshot = (dataset.X.copy(), dataset.columns, dataset.messages, shipped.X.copy())
    yield dataset
    assert np.array_equal(dataset.X, snapshot[0]) and not dataset.X.flags.writeable
    assert (dataset.columns, dataset.messages) == snapshot[1:3]
    assert data.load("old_faithful") is shipped and np.array_equal(shipped.X, snapshot[3])


def refused(content, match, **options):
    with pytest.raises(DataError, match=match) as error:
        data.parse_csv(content, **options)
    return str(error.value)


# --------------------------------------------------------------------------------------------------
# Files EM Lab reads


def test_comma_separated_with_header():
    """The plain case: a header and two numeric columns."""
    dataset = data.parse_csv(GOOD)
    assert dataset.columns == ("x", "y")
    np.testing.assert_array_equal(dataset.X[0], [1.0, 2.0])
    assert dataset.n_samples == dataset.n_rows == 4
    assert dataset.messages == () and dataset.suggested_k is None and not dataset.standardized


@pytest.mark.parametrize(
    "text",
    [
        "1.0,2.0\n2.0,1.0\n3.0,4.0\n",
        "1.0;2.0\n2.0;1.0\n3.0;4.0\n",
        "1.0\t2.0\n2.0\t1.0\n3.0\t4.0\n",
        "1.0  2.0\n 2.0 1.0\n3.0\t4.0\n",
        "1,0;2,0\n2,0;1,0\n3,0;4,0\n",
        "1.0, 2.0\r\n2.0, 1.0\r\n3.0, 4.0\r\n",
    ],
    ids=["comma", "semicolon", "tab", "whitespace", "decimal-comma", "crlf-spaces"],
)
def test_headerless_files_in_every_layout(text):
    """No header: columns are named by position, whatever separates them."""
    dataset = data.parse_csv(text)
    assert dataset.columns == ("column 1", "column 2")
    np.testing.assert_array_equal(dataset.X, [[1.0, 2.0], [2.0, 1.0], [3.0, 4.0]])


def test_decimal_commas_are_read_and_reported():
    """European spreadsheets write 3,6 for 3.6 when columns are separated by semicolons."""
    dataset = data.parse_csv("eruptions;waiting\n3,6;79\n1,8;54\n3,333;74\n")
    np.testing.assert_allclose(dataset.X[:, 0], [3.6, 1.8, 3.333])
    assert any("decimal commas in 'eruptions'" in m for m in dataset.messages)


def test_quoted_fields_comments_blank_lines_and_byte_order_mark():
    """Quotes protect commas inside text; blank lines and # comments are skipped; a BOM is not
    part of the first column's name."""
    text = '\ufeff# measured 2024\nname,x,y\n\n"Smith, J",1,2\n"Lee, K",3,1\n  \n"Ng, A",2,5\n'
    dataset = data.parse_csv(text)
    assert dataset.columns == ("x", "y")
    np.testing.assert_array_equal(dataset.X, [[1, 2], [3, 1], [2, 5]])
    assert data.parse_csv(codecs.BOM_UTF8 + text.encode()).columns == ("x", "y")


def test_title_line_above_the_table_is_skipped_with_a_message():
    dataset = data.parse_csv("Old Faithful sample\neruptions,waiting\n3.6,79\n1.8,54\n3.3,74\n")
    assert dataset.columns == ("eruptions", "waiting")
    assert any("Skipped line 1 ('Old Faithful sample')" in m for m in dataset.messages)


def test_r_write_table_with_row_names():
    """R's write.table: space-separated, quoted names, and an unnamed row-name column."""
    text = '"eruptions" "waiting"\n"1" 3.6 79\n"2" 1.8 54\n"3" 3.333 74\n"4" 2.283 62\n'
    dataset = data.parse_csv(text)
    assert dataset.columns == ("eruptions", "waiting")
    np.testing.assert_allclose(dataset.X[0], [3.6, 79])
    assert any("look like row numbers" in m for m in dataset.messages)


def test_pandas_index_column_is_skipped():
    """pandas' to_csv writes the index first, unnamed, counting from 0."""
    dataset = data.parse_csv(",a,b\n0,1.5,2\n1,2.5,3\n2,3.5,1\n3,0.5,1\n")
    assert dataset.columns == ("a", "b")
    assert any("Skipped column 'column 1': its values 0, 1, 2" in m for m in dataset.messages)


def test_default_is_the_first_two_numeric_columns():
    """Text columns (species, island) are passed over."""
    dataset = data.parse_csv(PENGUIN_LIKE)
    assert dataset.columns == ("bill", "depth")


@pytest.mark.parametrize(
    "x, y, expected",
    [
        ("bill", "flipper", ("bill", "flipper")),
        (4, 2, ("flipper", "bill")),
        (-1, None, ("flipper", "bill")),
        (None, "FLIPPER", ("bill", "flipper")),
        (" Depth ", None, ("depth", "bill")),
    ],
)
def test_columns_chosen_by_name_or_position(x, y, expected):
    """x and y by exact or case-insensitive name, or by (negative) 0-based position; the other
    one defaults to the first numeric column left."""
    assert data.parse_csv(PENGUIN_LIKE, x=x, y=y).columns == expected


def test_standardize_on_request_and_back():
    """standardize=True: mean 0, standard deviation 1, and a Standardizer back to file units."""
    dataset = data.parse_csv(GOOD, standardize=True)
    np.testing.assert_allclose(dataset.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(dataset.X.std(axis=0), 1.0)
    np.testing.assert_allclose(
        dataset.standardizer.inverse_transform(dataset.X), data.parse_csv(GOOD).X
    )
    assert dataset.axis_labels == ("x (standardised)", "y (standardised)")
    assert any("Standardised both columns" in m for m in dataset.messages)


def test_dataset_owns_a_read_only_copy():
    """Constructing a Dataset copies X, so the caller's array and the Dataset cannot alias."""
    X = np.array([[0.0, 1.0], [2.0, 3.0]])
    dataset = data.Dataset(X, "mine", ("a", "b"))
    X[0, 0] = 99.0
    assert dataset.X[0, 0] == 0.0
    with pytest.raises(ValueError):
        dataset.X[0, 0] = 5.0
    with pytest.raises(DataError, match=r"shape \(n_samples, 2\); got \(2, 3\)"):
        data.Dataset(np.zeros((2, 3)), "bad", ("a", "b"))


# --------------------------------------------------------------------------------------------------
# Bad input: a clear message, and nothing changes


def test_empty_file(loaded):
    refused("", r"The file is empty .*two numeric columns")
    refused(b"", r"The file is empty")


def test_only_blank_lines_and_comments(loaded):
    refused("\n   \n# nothing here\n\t\n", r"empty \(no lines other than blank ones or # comments")


def test_only_a_header(loaded):
    refused("eruptions,waiting\n", r"header \(eruptions, waiting\) but no rows of data.*Add one")


def test_one_column(loaded):
    refused("x\n1\n2\n3\n", r"only one column \('x'\).*needs two numeric columns.*Add a second")


def test_text_in_a_numeric_column(loaded):
    """The message names the column, quotes the cell, gives its line and the way out."""
    message = refused(
        "x,y\n1,2\n3,abc\n5,6\n7,n/a\n8,oops\n",
        r"Column 'y' has 2 cells that are not a number, e\.g\. 'abc' on line 3",
    )
    assert "1 row has a value that is empty or not a finite number" in message
    assert "'Drop rows with missing or invalid values'" in message
    assert "choose other columns" in message


def test_only_text_columns(loaded):
    refused("a,b\nfoo,bar\nbaz,qux\n", r"None of the 2 columns \(a, b\) holds numbers")


def test_one_numeric_column_among_text(loaded):
    refused("name,v\nfoo,1\nbar,2\n", r"Only one column \('v'\) holds numbers; 'name' holds text")


@pytest.mark.parametrize("bad", ["NA", "NaN", "", "inf", "-Infinity", "null", "?"])
def test_missing_or_infinite_values_are_counted_and_dropping_offered(loaded, bad):
    """NaN/inf rows are refused with their count and the option that drops them."""
    text = f"x,y\n1,2\n{bad},3\n5,6\n7,{bad}\n8,9\n"
    refused(
        text,
        r"2 rows have a value that is empty or not a finite number in 'x' or 'y'.*"
        r"2 of 5 rows cannot be used \(the first on line 3\).*Drop rows with missing or invalid",
    )
    dataset = data.parse_csv(text, drop_invalid=True)
    np.testing.assert_array_equal(dataset.X, [[1, 2], [5, 6], [8, 9]])
    assert dataset.n_dropped == 2 and dataset.n_rows == 5
    assert any("Dropped 2 of 5 rows" in m and "line 3" in m for m in dataset.messages)


def test_short_rows_count_as_missing(loaded):
    refused("x,y\n1,2\n3\n4,5\n6,7\n", r"1 row has a value that is empty or not a finite number")


def test_nothing_left_after_dropping(loaded):
    refused("x,y\n1,NA\nNA,2\n", r"No row has numbers in both 'x' and 'y'", drop_invalid=True)


def test_fewer_points_than_components(loaded):
    """check_components refuses a K the distinct points cannot support, and says the largest."""
    dataset = data.parse_csv("x,y\n0,0\n1,1\n1,1\n2,0\n")
    data.check_components(dataset, 3)
    with pytest.raises(DataError, match=r"K = 4 components need at least 4 different points; "
                                        r"this data has only 3\. Lower K to 3 or fewer"):
        data.check_components(dataset, 4)
    with pytest.raises(DataError, match=r"at least 1"):
        data.check_components(dataset.X, 0)
    with pytest.raises(DataError, match=r"whole number"):
        data.check_components(dataset.X, 2.5)


def test_a_single_point(loaded):
    refused("x,y\n1,2\n", r"Only one point \(1, 2\) was found; EM needs at least two")
    refused("x,y\n1,2\nNA,3\n", r"Only one point", drop_invalid=True)


def test_all_points_identical(loaded):
    refused("1,2\n1,2\n1,2\n1,2\n", r"All 4 points are the same point \(1, 2\)\. .*choose other")


def test_duplicated_points_are_kept_and_noted():
    """Duplicates are legal (and a lesson: a component can sit on a stack of them)."""
    dataset = data.parse_csv("x,y\n1,2\n1,2\n1,2\n3,4\n3,4\n5,0\n")
    assert dataset.n_samples == 6 and dataset.n_duplicates == 3
    assert any("3 points repeat an earlier point exactly" in m for m in dataset.messages)
    assert data.n_distinct(dataset) == 3


def test_points_on_a_line_are_noted():
    dataset = data.parse_csv("x,y\n1,0\n2,0\n3,0\n")
    assert any("Every point has the same 'y', 0" in m and "jitter" in m for m in dataset.messages)


@pytest.mark.parametrize(
    "scale, reason",
    [(1e-9, "varies by only about"), (1e9, "varies by about"), (1e-300, "varies by only about"),
     (1e300, "varies by about")],
)
def test_extreme_scales_are_standardised_and_said(scale, reason):
    """Tiny or huge spreads are rescaled to standard units, with a message saying why."""
    base = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [5.0, 3.5]])
    text = "x,y\n" + "\n".join(f"{float(a * scale)!r},{float(b * scale)!r}" for a, b in base)
    dataset = data.parse_csv(text)
    assert dataset.standardized
    assert any(reason in m and "variance floor ε" in m for m in dataset.messages)
    np.testing.assert_allclose(dataset.X, data.parse_csv(GOOD, standardize=True).X, atol=1e-9)
    np.testing.assert_allclose(dataset.scale / scale, base.std(axis=0), rtol=1e-9)


def test_far_from_zero_with_a_small_spread_is_standardised():
    """Values around 1e9 that differ by about 1 keep too few digits in their differences."""
    dataset = data.parse_csv("t,v\n1000000000.5,2\n1000000001.5,1\n1000000002.0,3\n")
    assert dataset.standardized
    assert any("sits about 1.0e+09 from zero" in m for m in dataset.messages)


def test_a_million_rows_are_sampled_deterministically():
    """10^6 rows: a random sample of MAX_ROWS, the same every time, with a message."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10**6, 2))
    text = "a,b\n" + "\n".join(f"{a:.5f},{b:.5f}" for a, b in X)
    first = data.parse_csv(text)
    assert first.n_samples == data.MAX_ROWS and first.n_rows == 10**6
    assert any("1,000,000 rows" in m and f"{data.MAX_ROWS:,}" in m for m in first.messages)
    again = data.parse_csv(text.encode())
    np.testing.assert_array_equal(first.X, again.X)
    # The sample keeps the file's order and is drawn from the whole file, not its head.
    rows = np.round(X, 5)
    index = {tuple(r): i for i, r in enumerate(rows)}
    positions = np.array([index[tuple(p)] for p in first.X])
    assert np.all(np.diff(positions) > 0) and positions[-1] > 0.9 * 10**6


def test_sampling_counts_bad_rows_in_the_sample_only():
    text = "x,y\n" + "\n".join(f"{i},{i % 7}" if i % 10 else f"{i},NA" for i in range(1, 1001))
    message = refused(text, r"in 'x' or 'y' \(in the sample read\)", max_rows=100)
    assert "of 100 rows" in message
    dataset = data.parse_csv(text, max_rows=100, drop_invalid=True)
    assert dataset.n_rows == 1000 and dataset.n_samples + dataset.n_dropped == 100


def test_too_many_bytes_are_refused(loaded, monkeypatch):
    monkeypatch.setattr(data, "MAX_BYTES", 1000)
    refused(b"1,2\n" * 300, r"The file is 0\.0 MB; EM Lab reads files up to 0 MB\. Keep only")
    refused("1,2\n" * 300, r"reads files up to")


def test_latin1_bytes_are_read_with_a_note():
    """Not UTF-8 (a Windows spreadsheet's export): read as Latin-1, and said so."""
    raw = "température (°C);durée\n21,5;3\n19,0;4\n25,2;1\n".encode("latin-1")
    dataset = data.parse_csv(raw)
    assert dataset.columns == ("température (°C)", "durée")
    np.testing.assert_allclose(dataset.X[:, 0], [21.5, 19.0, 25.2])
    assert any("not UTF-8" in m and "Windows-1252" in m for m in dataset.messages)
    # Windows-1252's euro sign (byte 0x80) reads as such; 0x81 exists only in Latin-1.
    assert data.parse_csv(b"price \x80,qty\n1,2\n3,4\n").columns == ("price \u20ac", "qty")
    latin = data.parse_csv(b"a\x81,b\n1,2\n3,4\n")
    assert latin.columns == ("a\x81", "b") and "read as Latin-1" in latin.messages[0]


def test_utf16_with_byte_order_mark():
    dataset = data.parse_csv("x\ty\n1\t2\n3\t4\n5\t5\n".encode("utf-16"))
    assert dataset.columns == ("x", "y")
    assert any("UTF-16" in m for m in dataset.messages)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(100), r"zip archive \(an Excel \.xlsx"),
        (b"\x89PNG\r\n\x1a\n" + bytes(50), r"PNG image"),
        (b"%PDF-1.7\n", r"PDF document"),
        (bytes(range(256)) * 4, r"binary file \(it contains zero bytes"),
        (bytes(range(1, 32)) * 20 + b"1,2\n", r"binary file \(.*control codes"),
        ("1,2\n3,\x004\n", r"NUL characters"),
    ],
    ids=["xlsx", "png", "pdf", "random-bytes", "control-codes", "nul-in-text"],
)
def test_binary_files_are_refused(loaded, content, match):
    message = refused(content, match)
    assert "export the data as CSV" in message


def test_wrong_argument_types_are_refused(loaded):
    refused(12345, r"Expected the file's text or bytes; got int")
    refused(GOOD, r"max_rows must be a whole number of at least 2", max_rows=1)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"x": "z"}, r"no column named 'z' for x\. The columns are: x, y, label"),
        ({"y": 7}, r"y = 7 is not a column: the file has 3 columns, numbered 0 to 2"),
        ({"x": "label"}, r"Column 'label' holds text \(e\.g\. 'a'\), not numbers.*columns: x, y"),
        ({"x": "x", "y": 0}, r"x and y are both column 'x'\. Choose two different columns"),
        ({"x": 1.5}, r"x must be a column name or a 0-based column number; got 1\.5"),
    ],
)
def test_bad_column_choices(loaded, options, match):
    refused("x,y,label\n1,2,a\n3,4,b\n5,1,c\n", match, **options)


# --------------------------------------------------------------------------------------------------
# Listing a file's columns (for the lab's x and y pickers)


def test_columns_lists_names_types_and_the_default_choice():
    """Names from the header, which columns hold numbers, and the two parse_csv plots by default."""
    listed = data.columns(PENGUIN_LIKE)
    assert listed.names == ("species", "island", "bill", "depth", "flipper")
    assert listed.numeric == (False, False, True, True, True)
    assert (listed.x, listed.y) == (2, 3)
    assert data.parse_csv(PENGUIN_LIKE).columns == ("bill", "depth")


def test_columns_without_a_header_are_numbered_from_one():
    listed = data.columns(b"1 2 3\n4 5 6\n7 8 8\n")
    assert listed.names == ("column 1", "column 2", "column 3") and (listed.x, listed.y) == (0, 1)


def test_columns_default_skips_a_row_number_column_as_parse_csv_does():
    text = "id,a,b\n" + "".join(f"{i},{i % 3},{i % 5}\n" for i in range(10))
    listed = data.columns(text)
    assert (listed.x, listed.y) == (1, 2)
    assert (listed.names[listed.x], listed.names[listed.y]) == data.parse_csv(text).columns


def test_columns_has_no_default_with_fewer_than_two_numeric_columns():
    listed = data.columns("name,value\nann,1\nbob,2\n")
    assert listed.numeric == (False, True) and listed.x is None and listed.y is None


def test_columns_of_a_large_file_agree_with_parse_csv():
    """Only the head of a large file is read; what it finds is what reading it all finds."""
    comments = "# a long preamble\n" * 5000 + "\n" * 5000  # more than the first chunk read
    text = comments + "row,u,v\n" + "".join(f"{i},{i % 7}.5,{i % 11}\n" for i in range(50_000))
    listed = data.columns(text.encode())
    dataset = data.parse_csv(text.encode())
    assert listed.names == ("row", "u", "v")
    assert (listed.names[listed.x], listed.names[listed.y]) == dataset.columns == ("u", "v")


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", r"The file is empty"),
        (b"a,b\n", r"has a header \(a, b\) but no rows"),
        (b"PK\x03\x04" + bytes(100), r"zip archive"),
    ],
    ids=["empty", "header-only", "xlsx"],
)
def test_columns_refuses_what_parse_csv_refuses_whatever_the_columns(content, match):
    with pytest.raises(DataError, match=match):
        data.columns(content)


@given(st.text(alphabet="0123456789.,;\t \n-#xyNAab", max_size=300))
def test_columns_default_is_what_parse_csv_picks(text):
    """Whenever parse_csv reads a file by itself, columns() names the same two columns."""
    try:
        dataset = data.parse_csv(text)
    except DataError:
        try:
            data.columns(text)
        except DataError:
            pass
        return
    listed = data.columns(text)
    assert (listed.names[listed.x], listed.names[listed.y]) == dataset.columns


# --------------------------------------------------------------------------------------------------
# Whatever arrives, the only failure is a DataError


def _check_outcome(content, **options):
    try:
        dataset = data.parse_csv(content, **options)
    except DataError as error:
        assert str(error)
        return
    assert dataset.X.ndim == 2 and dataset.X.shape[1] == 2 and dataset.n_samples >= 2
    assert np.all(np.isfinite(dataset.X)) and not dataset.X.flags.writeable
    assert data.n_distinct(dataset) >= 2


@given(st.text())
def test_arbitrary_text_raises_only_data_error(text):
    _check_outcome(text)


@given(st.binary())
def test_arbitrary_bytes_raise_only_data_error(raw):
    _check_outcome(raw)


CSV_ALPHABET = "0123456789.,;\t \n\r-+eE#\"'xyNAainf_é"


@given(
    st.text(alphabet=CSV_ALPHABET, max_size=300),
    st.one_of(st.none(), st.integers(-4, 4), st.sampled_from(["x", "y", "NA", ""])),
    st.one_of(st.none(), st.integers(-4, 4), st.sampled_from(["x", "y"])),
    st.booleans(),
    st.booleans(),
    st.integers(2, 6),
)
def test_csv_like_text_raises_only_data_error(text, x, y, standardize, drop_invalid, max_rows):
    """Text made of CSV's own characters reaches deep into the parser; still only DataError."""
    _check_outcome(
        text, x=x, y=y, standardize=standardize, drop_invalid=drop_invalid, max_rows=max_rows
    )


@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        max_size=30,
    ),
    st.sampled_from([",", ";", "\t", " "]),
)
def test_any_floats_raise_only_data_error(points, delimiter):
    """Any float64 values, NaN, inf, 5e-324 and 1.8e308 included, in any layout."""
    text = "a" + delimiter + "b\n" + "\n".join(f"{a!r}{delimiter}{b!r}" for a, b in points)
    _check_outcome(text)
    _check_outcome(text, drop_invalid=True)


@given(
    st.lists(
        st.lists(
            st.one_of(st.floats(), st.integers(), st.sampled_from(["NA", "", "x", "1,5", "-inf"])),
            min_size=1,
            max_size=5,
        ),
        max_size=40,
    ),
    st.sampled_from([",", ";", "\t", " "]),
    st.booleans(),
)
def test_ragged_mixed_tables_raise_only_data_error(rows, delimiter, header):
    """Rows of any length mixing numbers, missing markers and text, with or without a header."""
    text = ("a" + delimiter + "b" + delimiter + "c\n" if header else "") + "\n".join(
        delimiter.join(map(str, row)) for row in rows
    )
    _check_outcome(text)
    _check_outcome(text, drop_invalid=True, standardize=True)
