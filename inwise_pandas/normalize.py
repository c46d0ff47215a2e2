"""Pure, vectorised cleaning of email and mobile columns.

Every function takes a Series and returns Series on the same index. The work runs in pyarrow
compute kernels (RE2 regexes) over whole columns; values are only visited one by one in Python for
the distinct values of a mixed-type object column, and for reasons of the (few) invalid values.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "MobileOptions",
    "STR",
    "apply_mobile_options",
    "check_email",
    "check_mobile",
    "clean_email",
    "mobile_digits",
    "strip_invisible",
    "to_text",
]

STR = "string[pyarrow]"
# Zero-width characters, bidi marks and embeddings, BOM, word joiner, soft hyphen.
_INVISIBLE = "[\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u00ad]"
_SPACES = "[\u00a0\u2007\u202f\u3000\t\r\n]"
_SCIENTIFIC = r"^[+]?\d+(?:\.\d+)?[eE][+]?\d+$"
# One character of an address that is neither a separator nor a dot.
_C = r'[^\s@,;<>\[\]\\"().]'
_VALID_EMAIL = rf"^{_C}+(\.{_C}+)*@[^\s@,;<>\[\]\\\"().\-]{_C}*(\.{_C}+)*\.\p{{L}}{{2,}}$"


@dataclass(frozen=True)
class MobileOptions:
    """The documented mobile options, given once and sent in both request forms.

    ``country_code="972", trim_leading_zero=True`` becomes, in an upsert body,
    ``trim_mobile_number_leading_zero``, ``add_default_country_to_mobile_number_only_if_not_exists``
    and ``mobile_number_default_country_code``; in a batch body, ``trim_leading_zero`` and
    ``country_code``.
    """

    country_code: str | None = None
    trim_leading_zero: bool = False

    def __post_init__(self):
        if self.country_code is not None:
            code = str(self.country_code).strip().lstrip("+")
            if not code.isdigit() or not 1 <= len(code) <= 4:
                raise ValueError(f"country_code must be 1-4 digits such as '972', got {self.country_code!r}")
            object.__setattr__(self, "country_code", code)


# pyarrow <-> pandas, without copies where possible
def _arrow(values: pd.Series) -> pa.ChunkedArray:
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray):
        return array._pa_array
    return pa.chunked_array([pa.array(values.astype(object).where(values.notna(), None).to_numpy(), type=pa.string())])


def _series(array: pa.ChunkedArray | pa.Array, index: pd.Index) -> pd.Series:
    if isinstance(array, pa.Array):
        array = pa.chunked_array([array])
    return pd.Series(pd.arrays.ArrowStringArray(array), index=index, copy=False)


def _blank_to_null(array):
    empty = pc.equal(pc.binary_length(array), 0)
    if not pc.any(empty).as_py():
        return array
    return pc.if_else(empty, pa.scalar(None, array.type), array)


def _mask(array) -> np.ndarray:
    """A boolean arrow result → numpy bools, nulls as False."""
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _pick(conditions: list[np.ndarray], labels: list[str | None], *, default: str | None = None) -> pa.Array:
    """First true condition's label per row (np.select over small ints, then one take)."""
    choice = np.select(conditions, np.arange(len(labels)), default=len(labels)) if conditions else \
        np.zeros(0, dtype="int64")
    return pa.array(labels + [default], type=pa.string()).take(pa.array(choice))


def to_text(values: pd.Series, *, date_format: str = "%Y-%m-%d", strip: bool = True) -> pd.Series:
    """Any Series → pyarrow strings; NaN/None/NA and blank stay missing, never ``"nan"``.

    Whole floats lose their ``.0`` and exponent (``9.72541111111e11`` → ``"972541111111"``),
    datetimes are formatted with ``date_format``.
    """
    index = values.index
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        return values.astype(STR)
    if pd.api.types.is_float_dtype(values):
        return _floats_to_text(values)
    if pd.api.types.is_datetime64_any_dtype(values):
        # Dates repeat (birthdays, sign-up days): format each distinct one once.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        formatted = pa.array(list(pd.DatetimeIndex(uniques).strftime(date_format)) + [None], type=pa.string())
        return _series(formatted.take(pa.array(np.where(codes < 0, len(uniques), codes))), index)
    if isinstance(values.dtype, pd.StringDtype) or (
        pd.api.types.is_string_dtype(values) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    ):
        text = _arrow(values)
        return _series(_blank_to_null(pc.utf8_trim_whitespace(text) if strip else text), index)
    return _mixed_to_text(values, date_format, strip)


def _floats_to_text(values: pd.Series) -> pd.Series:
    numbers = values.astype("float64").to_numpy()
    finite = np.isfinite(numbers)
    whole = finite & (numbers == np.round(numbers)) & (np.abs(numbers) < 2**53)
    out = pd.Series(pd.NA, index=values.index, dtype=STR)
    if whole.any():
        out[whole] = pd.array(numbers[whole].astype("int64"), dtype="int64").astype(STR)
    rest = finite & ~whole
    if rest.any():
        out[rest] = [repr(float(v)) for v in numbers[rest]]
    return out


def _mixed_to_text(values: pd.Series, date_format: str, strip: bool) -> pd.Series:
    # Object columns may mix floats, ints, strings and dates (spreadsheet exports); convert each
    # distinct value once.
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    converted = pa.array([_one_to_text(v, date_format) for v in uniques] + [None], type=pa.string())
    text = converted.take(pa.array(np.where(codes < 0, len(uniques), codes)))
    if strip:
        text = pc.utf8_trim_whitespace(text)
    return _series(_blank_to_null(text), values.index)


def _one_to_text(value, date_format: str) -> str | None:
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return None
        if value == round(value) and abs(value) < 2**53:
            return str(int(value))
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (pd.Timestamp, datetime.date)):
        return value.strftime(date_format)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _on_subset(array, mask: np.ndarray, fn):
    """Apply ``fn`` only to the rows under ``mask`` (regex replaces are costly; most rows need none)."""
    if not mask.any():
        return array
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if mask.all():
        return fn(array)
    fixed = fn(array.take(pa.array(np.flatnonzero(mask)))).cast(array.type)
    return pc.replace_with_mask(array, pa.array(mask), fixed)


def _strip_invisible(array):
    # Invisible characters and odd spaces are non-ASCII or ASCII controls (tab, CR, LF);
    # empty strings count as not printable, which costs nothing here.
    odd = ~_mask(pc.ascii_is_printable(array))
    return _on_subset(array, odd, lambda part: pc.replace_substring_regex(
        pc.replace_substring_regex(part, pattern=_INVISIBLE, replacement=""), pattern=_SPACES, replacement=" "))


def strip_invisible(text: pd.Series) -> pd.Series:
    """Remove zero-width and bidi characters; turn odd spaces into plain ones."""
    return _series(_strip_invisible(_arrow(text.astype(STR))), text.index)


def clean_email(values: pd.Series) -> pd.Series:
    """Trim, drop invisible characters, lowercase. Missing stays missing."""
    text = _arrow(to_text(values))
    return _series(_blank_to_null(pc.utf8_lower(pc.utf8_trim_whitespace(_strip_invisible(text)))), values.index)


_EMAIL_CHECKS = [
    (r"\s", "contains spaces"),
    (None, "no @"),
    (None, "more than one @"),
    (r"^@", "nothing before @"),
    (r"@$", "nothing after @"),
    (r'[,;<>\[\]\\"()]', "invalid characters"),
    (r"^\.|\.@", "dot at the start or end of the name"),
    (r"\.\.", "two dots in a row"),
    (r"\.$", "domain ends with a dot"),
    (r"@[.\-]", "domain starts with a dot or dash"),
    (r"!@.*\.", "domain has no dot"),
    (r"!\.\p{L}{2,}$", "domain has no valid ending"),
]


def _email_reasons(bad: pa.ChunkedArray) -> pa.Array:
    at = pc.count_substring(bad, "@").to_numpy(zero_copy_only=False)
    conditions = []
    for pattern, label in _EMAIL_CHECKS:
        if label == "no @":
            conditions.append(at == 0)
        elif label == "more than one @":
            conditions.append(at > 1)
        elif pattern.startswith("!"):
            conditions.append(~_mask(pc.match_substring_regex(bad, pattern[1:])))
        else:
            conditions.append(_mask(pc.match_substring_regex(bad, pattern)))
    conditions.append(pc.utf8_length(bad).to_numpy(zero_copy_only=False) > 254)
    labels = [label for _, label in _EMAIL_CHECKS] + ["longer than 254 characters"]
    return _pick(conditions, labels, default="not a valid address")


def check_email(email: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Status (``ok``/``missing``/``invalid``) and reason for cleaned emails.

    One RE2 match over the column decides; the reasons are worked out for the invalid values only.
    """
    text = _arrow(email.astype(STR))
    missing = _mask(pc.is_null(text))
    valid = _mask(pc.match_substring_regex(text, _VALID_EMAIL)) & \
        (pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False) <= 254)
    bad = ~missing & ~valid
    reason = pa.nulls(len(email), pa.string())
    if bad.any():
        positions = np.flatnonzero(bad)
        reasons = _email_reasons(pc.take(text, pa.array(positions)))
        reason_np = np.full(len(email), None, dtype=object)
        reason_np[positions] = reasons.to_numpy(zero_copy_only=False)
        reason_np[missing] = "missing"
        reason = pa.array(reason_np, type=pa.string())
    elif missing.any():
        reason = _pick([missing], ["missing"])
    status = _pick([missing, bad], ["missing", "invalid"], default="ok")
    return _series(status, email.index), _series(reason, email.index)


def mobile_digits(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Reduce mobiles to digits: ``+972 (54) 111-1111``, ``5.41111111e8`` and ``541111111.0`` all work.

    Returns the digits and, where a value cannot be a number, the reason (letters, decimals).
    Values that are digits already pass straight through; only the others are worked on.
    """
    index = values.index
    text = _arrow(to_text(values))
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    plain = _mask(pc.ascii_is_decimal(text)) | _mask(pc.is_null(text))
    reason = pa.nulls(len(text), pa.string())
    if not plain.all():
        rows = np.flatnonzero(~plain)
        digits, why = _digits_of(text.take(pa.array(rows)))
        text = pc.replace_with_mask(text, pa.array(~plain), digits.cast(text.type))
        if pc.any(pc.is_valid(why)).as_py():
            merged = np.full(len(plain), None, dtype=object)
            merged[rows] = why.to_numpy(zero_copy_only=False)
            reason = pa.array(merged, type=pa.string())
    # "00972…": the international call prefix is not part of the number.
    text = _on_subset(text, _mask(pc.starts_with(text, "00")), lambda part: pc.utf8_slice_codeunits(part, 2))
    return _series(_blank_to_null(text), index), _series(reason, index)


def _digits_of(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The slow path of :func:`mobile_digits`, for values that are not plain digits."""
    text = pc.utf8_trim_whitespace(_strip_invisible(text))
    scientific = _mask(pc.match_substring_regex(text, _SCIENTIFIC))
    if scientific.any():
        fixed = text.to_numpy(zero_copy_only=False).astype(object)
        fixed[scientific] = to_text(pd.Series(fixed[scientific]).astype("float64")).to_numpy(dtype=object,
                                                                                               na_value=None)
        text = pa.array(fixed, type=pa.string())
    # "541111111.0": a float that passed through text; the zeros after the point are not digits.
    text = pc.replace_substring_regex(text, pattern=r"^([+]?\d+)\.0+$", replacement=r"\1")
    fraction = _mask(pc.match_substring_regex(text, r"^[+]?\d+\.\d*[1-9]\d*$"))
    # "+972 (0)54…": the bracketed trunk zero is dropped in international form.
    digits = pc.replace_substring(text, "(0)", "")
    international = _mask(pc.starts_with(digits, "+"))
    for separator in ("-", " ", "(", ")", ".", "+", "/"):
        digits = pc.replace_substring(digits, separator, "")
    letters = ~_mask(pc.ascii_is_decimal(digits)) & _mask(pc.greater(pc.binary_length(digits), 0))
    digits = _on_subset(digits, letters, lambda part: pc.replace_substring_regex(part, pattern=r"\D", replacement=""))
    digits = pc.if_else(pa.array(international), pc.utf8_ltrim(digits, characters="0"), digits)
    return digits, _pick([letters, fraction], ["contains letters", "not a whole number"])


def apply_mobile_options(digits: pd.Series, options: MobileOptions) -> pd.Series:
    """The server's documented rules: trim one leading zero, add the country code only if missing."""
    out = _arrow(digits.astype(STR))
    if options.trim_leading_zero:
        out = pc.if_else(pc.fill_null(pc.starts_with(out, "0"), False), pc.utf8_slice_codeunits(out, 1), out)
    if options.country_code:
        code = options.country_code
        missing_code = pc.invert(pc.fill_null(pc.starts_with(out, code), True))
        local = pc.utf8_ltrim(out, characters="0") if options.trim_leading_zero else out
        joined = pc.binary_join_element_wise(pa.scalar(code, local.type), local, pa.scalar("", local.type))
        out = pc.if_else(missing_code, joined, out)
    return _series(_blank_to_null(out), digits.index)


_MAX_REPORTED = 40


def check_mobile(mobile: pd.Series, pre_reason: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Status and reason for mobiles in their final (sent) form."""
    text = _arrow(mobile.astype(STR))
    missing = _mask(pc.is_null(text))
    length = pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
    israeli = _mask(pc.starts_with(text, "972"))
    mobile_972 = _mask(pc.starts_with(text, "9725"))
    pre = _mask(pc.is_valid(_arrow(pre_reason.astype(STR)))) if pre_reason is not None else np.zeros(len(mobile), bool)
    national = np.clip(length - 3, 0, _MAX_REPORTED)
    clipped = np.clip(length, 0, _MAX_REPORTED)
    # Reasons with a number in them come from small tables indexed by that number.
    after_code = [f"{n} digits after country code 972 (a mobile has 9)" for n in range(_MAX_REPORTED + 1)]
    short = [f"too short: {n} digits" for n in range(_MAX_REPORTED + 1)]
    long = [f"too long: {n} digits" for n in range(_MAX_REPORTED + 1)]
    labels = ["missing", "not a mobile: after country code 972 a mobile starts with 5"] + after_code + short + long
    base_after, base_short, base_long = 2, 2 + len(after_code), 2 + len(after_code) + len(short)
    choice = np.select(
        [missing & ~pre, pre, israeli & (length - 3 != 9), israeli & ~mobile_972, length < 8, length > 15],
        [0, -1, base_after + national, 1, base_short + clipped, base_long + clipped],
        default=len(labels),
    )
    reason_np = pa.array(labels + [None], type=pa.string()).take(pa.array(np.where(choice < 0, len(labels), choice)))
    if pre.any():
        merged = reason_np.to_numpy(zero_copy_only=False).astype(object)
        merged[pre] = pre_reason.to_numpy(dtype=object)[pre]
        reason_np = pa.array(merged, type=pa.string())
    status = _pick([missing & ~pre, choice < len(labels)], ["missing", "invalid"], default="ok")
    return _series(status, mobile.index), _series(reason_np, mobile.index)
