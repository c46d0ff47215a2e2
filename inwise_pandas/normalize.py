"""Pure, vectorised cleaning of email and mobile columns.

Every function takes a Series and returns Series on the same index; nothing loops over rows in
Python except over the unique values of a mixed-type object column.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MobileOptions",
    "clean_email",
    "check_email",
    "mobile_digits",
    "apply_mobile_options",
    "check_mobile",
    "to_text",
]

STR = "string[pyarrow]"
# Zero-width characters, bidi marks and embeddings, BOM, word joiner.
_INVISIBLE = "[\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u00ad]"
_SPACES = "[\u00a0\u2007\u202f\u3000\t\r\n]"
_SCIENTIFIC = r"^[+]?\d+(?:\.\d+)?[eE][+]?\d+$"


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


def _blank_to_na(text: pd.Series) -> pd.Series:
    return text.mask(text.str.len() == 0)


def to_text(values: pd.Series, *, date_format: str = "%Y-%m-%d", strip: bool = True) -> pd.Series:
    """Any Series → pyarrow strings; NaN/None/NA and blank stay missing, never ``"nan"``.

    Whole floats lose their ``.0`` and exponent (``9.72541111111e11`` → ``"972541111111"``),
    datetimes become ISO dates.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_bool_dtype(values):
        return values.astype(STR)
    if pd.api.types.is_integer_dtype(values):
        return values.astype(STR)
    if pd.api.types.is_float_dtype(values):
        return _floats_to_text(values)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime(date_format).astype(STR)
    if pd.api.types.is_string_dtype(values) and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    ):
        text = values.astype(STR)
        return _blank_to_na(text.str.strip() if strip else text)
    return _mixed_to_text(values, date_format, strip)


def _floats_to_text(values: pd.Series) -> pd.Series:
    numbers = values.astype("float64")
    whole = numbers.notna() & np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers.abs() < 2**53)
    out = pd.Series(pd.NA, index=values.index, dtype=STR)
    if whole.any():
        out[whole] = numbers[whole].astype("int64").astype(STR)
    rest = numbers.notna() & ~whole
    if rest.any():
        out[rest] = numbers[rest].map(repr).astype(STR)
    return out


def _mixed_to_text(values: pd.Series, date_format: str = "%Y-%m-%d", strip: bool = True) -> pd.Series:
    # Object columns may mix floats, ints, strings and dates (spreadsheet exports); convert each
    # distinct value once.
    values = values.astype(object)
    missing = pd.isna(values)
    codes, uniques = pd.factorize(values[~missing], use_na_sentinel=True)
    converted = [_one_to_text(v, date_format) for v in uniques]
    out = pd.Series(pd.NA, index=values.index, dtype=STR)
    if len(codes):
        out[~missing] = pd.array(converted, dtype=STR).take(codes)
    return _blank_to_na(out.str.strip() if strip else out)


def _one_to_text(value, date_format: str = "%Y-%m-%d") -> str | None:
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        if np.isfinite(value) and value == round(value) and abs(value) < 2**53:
            return str(int(value))
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (pd.Timestamp, datetime.date)):
        return value.strftime(date_format)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def strip_invisible(text: pd.Series) -> pd.Series:
    """Remove zero-width and bidi characters; turn odd spaces into plain ones."""
    return text.str.replace(_INVISIBLE, "", regex=True).str.replace(_SPACES, " ", regex=True)


def clean_email(values: pd.Series) -> pd.Series:
    """Trim, drop invisible characters, lowercase. Missing stays missing."""
    text = strip_invisible(to_text(values)).str.strip().str.lower()
    return _blank_to_na(text)


def check_email(email: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Status (``ok``/``missing``/``invalid``) and reason for cleaned emails."""
    e = email.astype(STR)
    missing = e.isna().to_numpy()
    e_filled = e.fillna("x@x.x")
    at = e_filled.str.count("@").to_numpy()
    local = e_filled.str.extract(r"^([^@]*)@", expand=False).fillna("")
    domain = e_filled.str.extract(r"@([^@]*)$", expand=False).fillna("")
    too_long = (e_filled.str.len() > 254).to_numpy()
    conditions = [
        missing,
        e_filled.str.contains(r"\s", regex=True).to_numpy(),
        at == 0,
        at > 1,
        (local.str.len() == 0).to_numpy(),
        (domain.str.len() == 0).to_numpy(),
        e_filled.str.contains(r"[,;<>\[\]\\\"()]", regex=True).to_numpy(),
        (local.str.startswith(".") | local.str.endswith(".")).to_numpy(),
        e_filled.str.contains("..", regex=False).to_numpy(),
        domain.str.endswith(".").to_numpy(),
        (domain.str.startswith(".") | domain.str.startswith("-")).to_numpy(),
        ~domain.str.contains(".", regex=False).to_numpy(),
        ~domain.str.contains(r"\.[^\W\d_]{2,}$", regex=True).to_numpy(),
        too_long,
    ]
    reasons = [
        "missing",
        "contains spaces",
        "no @",
        "more than one @",
        "nothing before @",
        "nothing after @",
        "invalid characters",
        "dot at the start or end of the name",
        "two dots in a row",
        "domain ends with a dot",
        "domain starts with a dot or dash",
        "domain has no dot",
        "domain has no valid ending",
        "longer than 254 characters",
    ]
    reason = pd.Series(np.select(conditions, reasons, default=""), index=email.index, dtype=STR)
    status = pd.Series(np.where(missing, "missing", np.where(reason == "", "ok", "invalid")),
                       index=email.index, dtype=STR)
    return status, reason.mask(reason == "")


def mobile_digits(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Reduce mobiles to digits: ``+972 (54) 111-1111``, ``5.41111111e8`` and ``541111111.0`` all work.

    Returns the digits and, where a value cannot be a number, the reason (letters, decimals).
    """
    text = strip_invisible(to_text(values)).str.strip()
    sci = text.str.fullmatch(_SCIENTIFIC).fillna(False).astype(bool)
    if sci.any():
        text = text.copy()
        text[sci] = to_text(text[sci].astype("float64"))
    # "541111111.0": a float that passed through text; the zeros after the point are not digits.
    text = text.str.replace(r"^([+]?\d+)\.0+$", r"\1", regex=True)
    fraction = text.str.fullmatch(r"[+]?\d+\.\d*[1-9]\d*").fillna(False).astype(bool)
    letters = text.str.contains(r"[^\d\s\-\(\)\.+/]", regex=True).fillna(False).astype(bool)
    # "+972 (0)54…": the bracketed trunk zero is dropped in international form.
    digits = text.str.replace(r"\(0\)", "", regex=True)
    intl = digits.str.startswith("+").fillna(False).astype(bool)
    digits = digits.str.replace(r"\D", "", regex=True)
    digits = digits.mask(intl, digits.str.lstrip("0"))
    digits = digits.mask(digits.str.startswith("00").fillna(False).astype(bool), digits.str.slice(2))
    reason = pd.Series(np.select([letters.to_numpy(), fraction.to_numpy()],
                                 ["contains letters", "not a whole number"], default=""),
                       index=values.index, dtype=STR)
    return _blank_to_na(digits), reason.mask(reason == "")


def apply_mobile_options(digits: pd.Series, options: MobileOptions) -> pd.Series:
    """The server's documented rules: trim one leading zero, add the country code only if missing."""
    out = digits
    if options.trim_leading_zero:
        out = out.mask(out.str.startswith("0").fillna(False).astype(bool), out.str.slice(1))
    if options.country_code:
        code = options.country_code
        has_code = out.str.startswith(code).fillna(False).astype(bool)
        # A local number whose zero was not trimmed keeps its zero after the code otherwise.
        local = out.str.lstrip("0") if options.trim_leading_zero else out
        out = out.mask(~has_code & out.notna(), code + local)
    return _blank_to_na(out)


def check_mobile(mobile: pd.Series, pre_reason: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Status and reason for mobiles in their final (sent) form."""
    m = mobile.astype(STR)
    missing = m.isna().to_numpy()
    filled = m.fillna("0" * 10)
    length = filled.str.len().to_numpy()
    israeli = filled.str.startswith("972").to_numpy()
    national = length - 3
    pre = (pre_reason.notna().to_numpy() if pre_reason is not None else np.zeros(len(m), bool))
    conditions = [missing & ~pre, pre, israeli & (national != 9), israeli & ~filled.str.startswith("9725").to_numpy(),
                  length < 8, length > 15]
    choices = [
        "missing",
        (pre_reason.fillna("") if pre_reason is not None else pd.Series("", index=m.index)).to_numpy(),
        pd.Series(national.astype(str), index=m.index).add(" digits after country code 972 (a mobile has 9)").to_numpy(),
        "not a mobile: after country code 972 a mobile starts with 5",
        pd.Series(length.astype(str), index=m.index).radd("too short: ").add(" digits").to_numpy(),
        pd.Series(length.astype(str), index=m.index).radd("too long: ").add(" digits").to_numpy(),
    ]
    reason = pd.Series(np.select(conditions, choices, default=""), index=m.index, dtype=STR)
    status = np.where(missing & ~pre, "missing", np.where(reason == "", "ok", "invalid"))
    return pd.Series(status, index=m.index, dtype=STR), reason.mask(reason == "")
