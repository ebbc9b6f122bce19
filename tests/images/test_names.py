"""fileName rules: UTF-8 only, one spelling per name."""

from __future__ import annotations

import unicodedata

import pytest

from spotcheck.images import InvalidFileNameError, check_utf8_path, normalize_file_name, validate_file_name


@pytest.mark.parametrize("raw", [b"/images/%ff.jpg", b"/images/%fe.jpg", b"/images/mole%c3.jpg", b"/detect/%ed%a0%80"])
def test_percent_encoded_bytes_that_are_not_utf8_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidFileNameError, match=r"fileName must be UTF-8 text; byte [0-9A-F]{2}"):
        check_utf8_path(raw)


def test_percent_encoded_utf8_passes() -> None:
    check_utf8_path(b"/images/M%C3%BCller%20mole.jpg")


def test_nfd_and_nfc_spellings_are_one_name() -> None:
    nfc, nfd = "Müller.jpg", unicodedata.normalize("NFD", "Müller.jpg")
    assert nfc != nfd
    assert validate_file_name(nfd) == validate_file_name(nfc) == nfc
    assert normalize_file_name(nfd) == nfc


def test_replacement_character_is_refused() -> None:
    with pytest.raises(InvalidFileNameError, match="U\\+FFFD"):
        validate_file_name("\ufffd.jpg")
