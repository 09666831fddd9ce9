"""Numbers as people write them in text."""
import re

# a comma between digits is a thousands separator only before a group of exactly three digits: 1,234,567 and
# 1,250원 lose their commas; 1,2345 and 3,14 are not thousands and stay as written (a list, or a decimal comma)
THOUSANDS_SEPARATOR = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def strip_thousands(text: str) -> str:
    """The text with its thousands separators removed: '1,250,000원' → '1250000원'; '1,2345' is left alone."""
    return THOUSANDS_SEPARATOR.sub("", text)


SMALL_UNITS = {"십": 10, "백": 100, "천": 1000}
LARGE_UNITS = {"만": 10 ** 4, "억": 10 ** 8, "조": 10 ** 12}
_PART = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[십백천][만억조]?|[만억조])"
# digits with Korean place units, several in a row ('1억 2천만', '250만', '3.5억'); glued to a following syllable
# ('250만원', '5천명') every unit but 조 ('8조각' is 8 pieces), and 만 not in '만큼' (as much as)
KOREAN_NUMERAL = re.compile(rf"{_PART}(?:\s?{_PART})*(?:(?<=[십백천억])|(?<=만)(?!큼)|(?![가-힣]))")


def korean_value(written: str) -> float:
    """The value of a number written with Korean place units: '1억 2천만' → 120000000.0. Each large unit (만, 억, 조)
    multiplies what was written since the previous one; 천/백/십 multiply the digits they follow."""
    total = section = 0.0
    for num, small, large in re.findall(r"(\d+(?:\.\d+)?)([십백천]?)([만억조]?)", strip_thousands(written)):
        section += float(num) * SMALL_UNITS.get(small, 1)
        if large:
            total, section = total + section * LARGE_UNITS[large], 0.0
    return total + section


def korean_numerals(text: str) -> list[tuple[str, float]]:
    """Each number of a text written with Korean place units, as written and its value."""
    return [(m.group(), korean_value(m.group())) for m in KOREAN_NUMERAL.finditer(text)]


# a number as written, with what is glued to it ('30%를'); one with Korean place units is read whole ('1억 2천만')
WRITTEN_NUMBER = re.compile(f"(?P<ko>{KOREAN_NUMERAL.pattern})|"
                            r"(?<![A-Za-z\d_])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[^\s\d,.?!()]{0,3}")


def written_numbers(text: str) -> list[str]:
    """A text's numbers as written, each once, one with Korean place units with its value: '4,200만 (=42000000)'."""
    return list(dict.fromkeys(f"{m.group()} (={korean_value(m.group()):.15g})" if m.lastgroup else m.group()
                              for m in WRITTEN_NUMBER.finditer(text)))
