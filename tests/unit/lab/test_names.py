"""Machine names the lab accepts and refuses (they become hostnames and veth link names)."""

import pytest

from sovmigrate.errors import UsageError
from sovmigrate.lab.names import numbered_names, validate_name, validate_names, validate_suite


@pytest.mark.parametrize("name", ["a", "lab1", "ws-01", "abcdefghijk"])
def test_valid_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "Lab1", "1lab", "lab_1", "lab-", "abcdefghijkl", "a b", "../x", "ws.1", "é"]
)
def test_invalid_names_are_refused_with_the_rule(name):
    with pytest.raises(UsageError, match="invalid machine name"):
        validate_name(name)


def test_veth_link_name_fits_the_kernel_limit():
    # "ve-" + the longest valid name must stay within IFNAMSIZ - 1 = 15 characters.
    assert len("ve-" + "a" * 11) <= 15


def test_duplicates_refused():
    with pytest.raises(UsageError, match="twice"):
        validate_names(["a", "b", "a"])


def test_numbered_names():
    assert numbered_names("lab", 3) == ["lab1", "lab2", "lab3"]
    with pytest.raises(UsageError):
        numbered_names("lab", 0)


def test_suite():
    assert validate_suite("bookworm") == "bookworm"
    with pytest.raises(UsageError, match="unknown suite"):
        validate_suite("sid")
