"""Thousands separators: one rule for every place that reads numbers out of text."""
import pytest

from core.numbers import strip_thousands


@pytest.mark.parametrize("written,read", [
    ("1,250,000원", "1250000원"), ("1,234", "1234"), ("1,234.5 m", "1234.5 m"), ("12,345,678", "12345678"),
    ("1,2345", "1,2345"),          # four digits after the comma: not a thousands group
    ("3,14", "3,14"), ("1, 234", "1, 234"), ("a,123", "a,123"), ("1,234,56", "1234,56"),
])
def test_only_a_comma_before_exactly_three_digits_is_a_separator(written, read):
    assert strip_thousands(written) == read
