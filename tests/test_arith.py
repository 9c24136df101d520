"""Exact, safe arithmetic: the whitelist parser and Fraction evaluator."""

import re
from fractions import Fraction

import pytest

from habits.arith import evaluate, split_equation


def test_fractional_intermediate_values_are_exact():
    assert evaluate("4 / (1 - 5/6)").value == 24
    assert evaluate("8/(3-8/3)").value == Fraction(24)
    assert evaluate("1/3 + 1/3 + 1/3").value == 1


def test_numbers_are_reported_in_order_of_appearance():
    assert evaluate("(10 - 4) * (3 + 1)").numbers == (10, 4, 3, 1)


@pytest.mark.parametrize("text", ["2 ** 3", "9**9**9**9", "2 // 1", "2 ^ 3", "abs(3)", "x + 1",
                                  "__import__('os').system('true')", "(1).real", "[1, 2][0]",
                                  "1 < 2", "1 and 2", "1.5 * 2", "+3", "--3", "-(-3)", "1e3", "1, 2",
                                  "lambda: 1", "1 % 2"])
def test_non_whitelisted_constructs_are_refused_with_a_reason(text):
    result = evaluate(text)
    assert result.value is None
    assert result.error in ("illegal", "malformed")
    assert result.detail


@pytest.mark.parametrize(("text", "value"), [("-47 + (29 + 49)", 31), ("-100 + (92*(24 + 15) - 83)/5", 601),
                                             ("-(3-5)*8", 16), ("2 * -3", -6), ("10 - -3", 13), ("6/-2*3", -9)])
def test_a_minus_sign_in_front_of_a_number_or_bracket_is_accepted_by_default(text, value):
    assert evaluate(text).value == value
    assert evaluate(text).numbers == tuple(int(n) for n in re.findall(r"\d+", text))


@pytest.mark.parametrize("text", ["-47 + (29 + 49)", "-(3-5)*8", "2 * -3"])
def test_the_strict_rule_refuses_every_sign(text):
    result = evaluate(text, unary_minus=False)
    assert result.error == "illegal" and "sign" in result.detail


def test_whitespace_does_not_count_toward_the_length_cap():
    padded = " " * 300 + "(3 + 5)\n" + " " * 300 + "* 2" + "\n" * 50
    assert evaluate(padded).value == 16
    assert evaluate("+".join(["1"] * 129)).error == "malformed"  # 257 visible characters
    assert evaluate("(12 + 34) * 5 - 6 / 7".replace(" ", " " * 60)).value == Fraction(1604, 7)


def test_huge_literals_are_refused_not_computed():
    assert evaluate("9" * 50 + " * " + "9" * 50).error == "illegal"


def test_division_by_zero_is_illegal_and_keeps_the_numbers():
    result = evaluate("3 / (2 - 2)")
    assert result.error == "illegal" and "zero" in result.detail
    assert result.numbers[:1] == (3,)


def test_absurd_nesting_and_length_are_refused():
    assert evaluate("(" * 150 + "1" + ")" * 150).error in ("illegal", "malformed")
    assert evaluate("1+" * 200 + "1").error in ("illegal", "malformed")


def test_typographic_operators_are_understood():
    assert evaluate("(3 × 8) ÷ (2 − 1)").value == 24
    assert evaluate("3 x 8").value == 24


def test_empty_and_non_string_input_is_malformed():
    assert evaluate("").error == "malformed"
    assert evaluate(None).error == "malformed"  # type: ignore[arg-type]


def test_trailing_equals_target_is_dropped_but_other_equations_are_kept():
    assert split_equation("4*3+2+10=24") == "4*3+2+10"
    assert split_equation("24 = 4*6") == "4*6"
    assert split_equation("1=2=3") == "1=2=3"
    assert evaluate(split_equation("a = b")).error == "malformed"


def test_answer_broken_across_lines_is_one_expression():
    assert evaluate("(3 + 5)\n* 2").value == 16


def test_fast_path_and_ast_path_agree_on_plain_arithmetic(monkeypatch):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from habits import arith

    def slow(text, unary_minus):
        monkeypatch.setattr(arith, "_fast_evaluate", lambda source, unary_minus=True: None)
        try:
            return arith.evaluate(text, unary_minus=unary_minus)
        finally:
            monkeypatch.undo()

    @settings(max_examples=1500, deadline=None)
    @given(st.text(alphabet="0123456789+-*/() ", max_size=24), st.booleans())
    def check(text, unary_minus):
        fast, reference = arith.evaluate(text, unary_minus=unary_minus), slow(text, unary_minus)
        assert (fast.value, fast.numbers, fast.error) == (reference.value, reference.numbers, reference.error)

    check()
