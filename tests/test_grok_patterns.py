"""The shared address patterns accept exactly the addresses Elasticsearch's `ip` type does."""

from __future__ import annotations

import ipaddress
import re

import pytest
import yaml

from logward.engine.ingest.grok import expand, translate
from tests.conftest import ROOT

SHARED = yaml.safe_load((ROOT / "pipelines" / "_patterns.yml").read_text())


def _regex(name: str) -> re.Pattern[str]:
    return re.compile(r"\A(?:" + translate(expand(f"%{{{name}}}", SHARED), [], "g") + r")\Z", re.ASCII)


VALID = ["0.0.0.0", "255.255.255.255", "10.1.2.3", "::", "::1", "1::", "2001:db8::7", "fe80::1:2:3:4",
         "2001:db8:0:1:2:3:4:5", "::ffff:198.51.100.30", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:7::", "1::8",
         "1:2:3:4:5:6:1.2.3.4", "::2:3:4:5:6:7:8"]
INVALID = ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4x", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::",
           "g::1", "1.2.3.04a", "", "::ffff:1.2.3.256"]
# Python accepts a zone index; an `ip` field does not, and sshd never logs one.
NOT_FOR_IP_FIELDS = ["fe80::1%eth0"]


@pytest.mark.parametrize("address", VALID)
def test_valid_addresses_match(address: str):
    ipaddress.ip_address(address)
    assert _regex("IP").match(address), address


@pytest.mark.parametrize("address", INVALID)
def test_invalid_addresses_do_not_match(address: str):
    with pytest.raises(ValueError):
        ipaddress.ip_address(address)
    assert not _regex("IP").match(address), address


@pytest.mark.parametrize("address", NOT_FOR_IP_FIELDS)
def test_scoped_addresses_do_not_match(address: str):
    assert not _regex("IP").match(address), address


@pytest.mark.parametrize("ruby", [r"[\s\S]", r"[\S\s]"])
def test_any_character_class_matches_what_the_class_does(ruby: str):
    """`[\\s\\S]` (any character, newlines too) becomes a faster dot; it must mean the same."""
    translated = translate(ruby, [], "g")
    assert translated != ruby
    for text in ["a", " ", "\n", "\r", "\x00", "é", "\u2028", "\ud800", "😀"]:
        assert bool(re.fullmatch(translated, text, re.ASCII | re.MULTILINE)) == bool(
            re.fullmatch(ruby, text, re.ASCII | re.MULTILINE)), repr(text)
    assert translate(r"[^\s\S]x[a\s\S]", [], "g") == r"[^\s\S]x[a\s\S]"  # other classes stay as written
