"""Numbers read as Java reads them, since Elasticsearch's processors inherit its rules.

Python's int() and float() accept more (underscores, spaces around integers, "inf") and
less (hexadecimal decoding, "1.5d"); the convert and date processors must accept exactly
what the node does, and fail with the node's messages.
"""

from __future__ import annotations

import re
import struct
import unicodedata

_LONG = re.compile(r"[+-]?\d+")  # \d: decimal digits of any script, as Character.digit takes
_DOUBLE = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+[fFdD]?)"
)
TRIM = "".join(chr(i) for i in range(33))  # String.trim: every char up to the space
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _bad(text: str, radix: int = 10) -> ValueError:
    return ValueError(f'For input string: "{text}"' + (f" under radix {radix}" if radix != 10 else ""))


def parse_long(text: str, low: int = LONG_MIN, high: int = LONG_MAX) -> int:
    """Long.parseLong (Integer.parseInt with the int range)."""
    if _LONG.fullmatch(text) is None or not low <= (number := int(text)) <= high:
        raise _bad(text)
    return number


def decode_long(text: str, low: int = LONG_MIN, high: int = LONG_MAX) -> int:
    """What the convert processor does with an integer: "0x" and "-0x" prefixes are
    hexadecimal (Long.decode), anything else is Long.parseLong."""
    if not text.startswith(("0x", "-0x")):
        return parse_long(text, low, high)
    negative = text.startswith("-")
    digits = text[3:] if negative else text[2:]
    if digits.startswith(("-", "+")):
        raise ValueError("Sign character in wrong position")
    value = _hexadecimal(digits)
    if value is None:
        raise _bad(digits, 16)
    number = -value if negative else value
    if not low <= number <= high:
        raise _bad(f"-{digits}" if negative else digits, 16)
    return number


# Character.digit's letters for radix 16: ASCII's and their fullwidth forms.
_HEX_LETTERS = {letter: 10 + i for letters in ("abcdef", "ABCDEF", "\uff41\uff42\uff43\uff44\uff45\uff46",
                                               "\uff21\uff22\uff23\uff24\uff25\uff26")
                for i, letter in enumerate(letters)}


def _hexadecimal(digits: str) -> int | None:
    """Hexadecimal digits as Character.digit reads them: decimal digits of any script and
    the letters a-f in ASCII or fullwidth; None if one is not a digit."""
    if not digits:
        return None
    number = 0
    for char in digits:
        digit = _HEX_LETTERS.get(char)
        if digit is None:
            digit = unicodedata.decimal(char, -1)
            if digit < 0:
                return None
        number = number * 16 + digit
    return number


def parse_double(text: str) -> float:
    """Double.parseDouble: trimmed; decimal or hexadecimal; a type suffix; NaN, Infinity."""
    trimmed = text.strip(TRIM)
    if not trimmed:
        raise ValueError("empty String")
    if _DOUBLE.fullmatch(trimmed) is None:
        raise _bad(trimmed)
    number = trimmed[:-1] if trimmed[-1] in "fFdD" else trimmed  # the suffix comes last
    if "x" in number or "X" in number:
        return float.fromhex(number)
    return float(number.replace("Infinity", "inf"))


def parse_float(text: str) -> float:
    """Float.parseFloat, as the value Elasticsearch then writes: the float's decimal form
    (Float.toString, as Java 19 and later print it: the fewest digits that tell the float
    apart, at least two in scientific notation), read back as a double."""
    value = parse_double(text)
    try:
        single = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:  # beyond float's range: Java's float is infinite there
        return float("inf") if value > 0 else float("-inf")
    if single != single or single in (float("inf"), float("-inf")) or single == 0:
        return single
    scientific = not 1e-3 <= abs(single) < 1e7
    for digits in range(2 if scientific else 1, 10):
        shortest = float(f"{single:.{digits}g}")
        if struct.unpack("f", struct.pack("f", shortest))[0] == single:
            return shortest
    return single


def double_to_long(value: float) -> int:
    """Java's (long) cast of a double: NaN is 0, out of range is clamped, else truncated."""
    if value != value:
        return 0
    if value >= 2.0**63:
        return LONG_MAX
    if value <= -(2.0**63):
        return LONG_MIN
    return int(value)
