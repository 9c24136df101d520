"""The arithmetic re-checker: finds statements in free text, checks them exactly, never raises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from habits.traces import check_arithmetic, thoughts
from habits.traces.check import find_statements


def test_checker_counts_right_and_wrong_statements_in_prose():
    result = check_arithmetic("Try 25 - 7 = 18. Then 18 + 6 = 23, which is not 24.")
    assert (result.statements, result.right, result.wrong) == (2, 1, 1)
    assert result.wrong_statements == ["18 + 6 = 23"]


def test_checker_reads_chains_as_one_statement_per_equals_sign():
    result = check_arithmetic("Check: (25 - 7) + 6 = 18 + 6 = 24.")
    assert (result.statements, result.wrong) == (2, 0)
    assert check_arithmetic("(25 - 7) + 6 = 18 + 6 = 25").wrong_statements == ["18 + 6 = 25"]


def test_checker_is_exact_with_fractions_and_does_not_trust_floats():
    assert check_arithmetic("8 / (3 - 8/3) = 24").all_right
    assert check_arithmetic("3 - 8/3 = 1/3 and 8 / (1/3) = 24").to_dict()["wrong"] == 0
    assert check_arithmetic("1 / 3 = 0.333").wrong == 1
    assert check_arithmetic("2.5 * 4 = 10").all_right


def test_checker_handles_typographic_operators_and_negative_results():
    result = check_arithmetic("6 × 4 = 24, 12 ÷ 3 = 4, 3 − 5 = -2, 7 x 3 = 21")
    assert (result.statements, result.wrong) == (4, 0)


def test_checker_catches_a_wrong_step_hidden_in_model_style_output():
    text = "Let me solve this step by step.\n<think>\n3 * 8 = 24, 24 + 1 = 26. So (3*8)+1.\n</think>\n<answer>3*8+1</answer>"
    result = check_arithmetic(thoughts(text))
    assert result.statements == 2 and result.wrong_statements == ["24 + 1 = 26"]


def test_checker_ignores_things_that_are_not_arithmetic_statements():
    for text in ("x = 5", "24 = 24", "a <= 3 + 4", "if a != 3 + 4", "target: 24", "ratio 1:2 = 3 + 1?",
                 "J = 11, Q = 12", "The cards 7, 10, 8 and 5 are worth 7, 10, 8 and 5."):
        assert check_arithmetic(text).statements == 0, text


def test_checker_trims_words_and_numbers_glued_to_an_expression():
    assert find_statements("so 25 - 7 = 18 and") == [("25 - 7", "18")]
    assert find_statements("Step 2: 8 * 3 = 24.") == [("8 * 3", "24")]
    assert find_statements("I have 18. 18 + 6 = 24.") == [("18 + 6", "24")]


def test_checker_reads_every_step_of_a_tight_terse_line():
    text = "22=12+10,need 10: 9+1=10 vs 10 yes,12+10=22 vs 22 yes\nback 5+10=15,15-8=7!=10,3*2=6==6,6+8=15"
    assert find_statements(text) == [("22", "12+10"), ("9+1", "10"), ("12+10", "22"), ("5+10", "15"),
                                     ("15-8", "7"), ("3*2", "6"), ("6+8", "15")]
    assert check_arithmetic(text).wrong_statements == ["6+8 = 15"]


def test_checker_still_reads_a_thousands_separator_as_part_of_a_number():
    assert check_arithmetic("x = 1,000 + 5 = 1005").statements == 0
    assert check_arithmetic("I have 1,000 + 5 = 1005").statements == 0


def test_thoughts_reads_the_think_block_or_the_continued_one():
    assert thoughts("<think>a = 1</think><answer>x</answer>") == "a = 1"
    assert thoughts("\n3 + 4 = 7\n</think>\n<answer>3+4</answer>") == "\n3 + 4 = 7\n"
    assert thoughts("no tags at all") == "no tags at all"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 +-*/()=.x×÷−<>!abc\n")), max_size=120))
def test_checker_never_raises_on_arithmetic_looking_noise(text):
    result = check_arithmetic(text)
    assert result.statements == result.right + result.wrong


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_checker_never_raises_on_arbitrary_text(text):
    result = check_arithmetic(text)
    assert result.statements >= 0 and len(result.wrong_statements) == result.wrong


def test_checker_survives_huge_and_deeply_nested_input():
    assert check_arithmetic("(" * 5000 + "1" + ")" * 5000 + " = 1").statements >= 0
    assert check_arithmetic("9" * 10000 + " * 2 = 3").statements >= 0
    assert check_arithmetic("1 + " * 3000 + "1 = 3001").statements >= 0
