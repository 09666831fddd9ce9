"""Thousands separators: one rule for every place that reads numbers out of text."""
import pytest

from core.numbers import korean_numerals, strip_thousands, written_numbers


@pytest.mark.parametrize("written,read", [
    ("1,250,000원", "1250000원"), ("1,234", "1234"), ("1,234.5 m", "1234.5 m"), ("12,345,678", "12345678"),
    ("1,2345", "1,2345"),          # four digits after the comma: not a thousands group
    ("3,14", "3,14"), ("1, 234", "1, 234"), ("a,123", "a,123"), ("1,234,56", "1234,56"),
])
def test_only_a_comma_before_exactly_three_digits_is_a_separator(written, read):
    assert strip_thousands(written) == read



def _korean(n: int, rng) -> str:
    """n written with Korean place units by an independent writer: sections of four digits under 조/억/만, each
    section's digits as they are ('2500만', '1,200억') or with 천/백/십 ('2천5백만'), sections glued or spaced
    (n's last digit is 0: a bare digit after the units is not a unit numeral)."""
    parts = []
    for unit, size in (("조", 10 ** 12), ("억", 10 ** 8), ("만", 10 ** 4), ("", 1)):
        section = n // size % 10 ** 4
        if not section:
            continue
        if unit and rng.random() < 0.5:
            parts.append(f"{section:,}{unit}" if rng.random() < 0.5 else f"{section}{unit}")
        else:
            places = ((1000, "천"), (100, "백"), (10, "십"), (1, ""))
            digits = [(section // v % 10, u) for v, u in places if section // v % 10]
            parts.append(rng.choice(["", " "]).join(f"{d}{u}" for d, u in digits) + unit)
    return rng.choice(["", " "]).join(parts)


def test_korean_place_unit_numbers_read_as_their_value():
    import random

    rng = random.Random(0)
    for _ in range(300):
        n = rng.randrange(1, 10 ** 13) // 10 * 10 or 10
        written = _korean(n, rng)
        sentence = f"예산은 {written}{rng.choice(['원', ' 원', '명이고', '. 끝'])}"
        assert korean_numerals(sentence) == [(written, n)], (n, written)


@pytest.mark.parametrize("text, found", [
    ("파라미터가 1억 2천만 개인 모델", [("1억 2천만", 120_000_000)]), ("3.5억", [("3.5억", 350_000_000)]),
    ("연봉 4,200만원에서 30%", [("4,200만", 42_000_000)]),
    ("피자 8조각", []), ("3만큼 더", []), ("1,000,000바이트와 24시간", []),  # a word, a particle, no place unit
])
def test_korean_numerals_and_what_is_not_one(text, found):
    assert korean_numerals(text) == found


@pytest.mark.parametrize("text, found", [
    ("7 billion parameters in float16 (2 bytes)", ["7", "2"]), ("a model, 1,200 tokens", ["1,200"]),
    ("연봉 4,200만원에서 30%를", ["4,200만 (=42000000)", "30%를"]), ("float32", []),
])
def test_written_numbers_keep_what_is_glued_and_give_a_korean_place_unit_number_its_value(text, found):
    assert written_numbers(text) == found
