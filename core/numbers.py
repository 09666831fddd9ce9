"""Numbers as people write them in text."""
import re

# a comma between digits is a thousands separator only before a group of exactly three digits: 1,234,567 and
# 1,250원 lose their commas; 1,2345 and 3,14 are not thousands and stay as written (a list, or a decimal comma)
THOUSANDS_SEPARATOR = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def strip_thousands(text: str) -> str:
    """The text with its thousands separators removed: '1,250,000원' → '1250000원'; '1,2345' is left alone."""
    return THOUSANDS_SEPARATOR.sub("", text)
