"""Verify-and-revise rollouts with a scripted generation engine: feedback, masks, final attempts, and the
adapter that hands each prompt's problem from the batch rows to the rollout inside TRL."""

import pytest

from habits.models.tiny import IM_END, train_tokenizer
from habits.tasks import get_task
from types import SimpleNamespace

from habits.train.data import rl_rows
from habits.train.rollouts import VerifyAndRevise, build_rollout, chat_bridge_text

PROBLEM = {"numbers": [2, 3, 5], "target": 16}


@pytest.fixture(scope="module")
def tokenizer():
    texts = [get_task("countdown").prompt(PROBLEM), "<answer>(3+5)*2</answer> <answer>2+3+5</answer> try again"]
    return train_tokenizer(texts * 5, vocab_size=400)


class ScriptedEngine:
    """Returns scripted attempts in order, one list of texts per generate() call."""

    def __init__(self, tokenizer, script, end_token):
        self.tokenizer = tokenizer
        self.eos_token_ids = [tokenizer.convert_tokens_to_ids(end_token)]
        self.script = list(script)
        self.contexts = []

    def tokenize(self, prompts):
        texts = [p if isinstance(p, str) else self.tokenizer.apply_chat_template(p, add_generation_prompt=True,
                                                                                 tokenize=False) for p in prompts]
        return [self.tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]

    def generate(self, contexts, which=None):
        self.contexts.append([list(c) for c in contexts])
        texts = self.script.pop(0)
        assert len(texts) == len(contexts)
        ids = [self.tokenizer(t, add_special_tokens=False)["input_ids"] + self.eos_token_ids for t in texts]
        return ids, None


def rollout_for(task, engine, attempts):
    rollout = VerifyAndRevise(task, attempts=attempts)
    return lambda prompts: rollout(prompts, [PROBLEM] * len(prompts), engine)


@pytest.mark.parametrize("style", ["base", "chat"])
def test_wrong_attempt_gets_the_verifier_reason_and_a_second_try_masked_out_of_the_loss(tokenizer, style):
    task = get_task("countdown", prompt_style=style)
    end = IM_END if style == "chat" else tokenizer.eos_token
    engine = ScriptedEngine(tokenizer, [["<answer>2+3+5</answer>", "<answer>(3+5)*2</answer>"],
                                        ["<answer>(3+5)*2</answer>"]], end)
    prompt = task.prompt(PROBLEM)
    out = rollout_for(task, engine, attempts=3)([prompt, prompt])
    assert out["attempts"] == [2, 1]  # the right first answer stops; the wrong one gets one more try
    assert out["final_attempt"] == ["<answer>(3+5)*2</answer>", "<answer>(3+5)*2</answer>"]
    assert out["attempt_rewards"] == [[0.1, 1.0], [1.0]]  # each attempt rewarded on its own (tinyzero scheme)
    revised = tokenizer.decode(out["completion_ids"][0], skip_special_tokens=False)
    assert "2+3+5" in revised and "Please try again" in revised and revised.count("<answer>") == 2
    verdict = task.verify(PROBLEM, "<answer>2+3+5</answer>")
    assert verdict.detail.rstrip(".") in revised  # the verifier's own reason is what the model reads
    mask = out["model_mask"][0]
    assert len(mask) == len(out["completion_ids"][0]) and 0 in mask and mask[0] == 1 and mask[-1] == 1
    feedback = tokenizer.decode([t for t, m in zip(out["completion_ids"][0], mask) if m == 0])
    assert "Please try again" in feedback and "2+3+5" not in feedback
    assert set(out["model_mask"][1]) == {1}
    # The second generation call saw the prompt, the first attempt and the feedback as its context.
    context = tokenizer.decode(engine.contexts[1][0], skip_special_tokens=False)
    assert "2+3+5" in context and context.rstrip().endswith("<think>" if style == "base" else "assistant")


def test_attempt_budget_caps_the_revisions(tokenizer):
    task = get_task("countdown")
    engine = ScriptedEngine(tokenizer, [["<answer>2+3+5</answer>"]] * 2, tokenizer.eos_token)
    out = rollout_for(task, engine, attempts=2)([task.prompt(PROBLEM)])
    assert out["attempts"] == [2] and len(engine.contexts) == 2
    text = tokenizer.decode(out["completion_ids"][0], skip_special_tokens=False)
    assert text.count("Please try again") == 1  # no feedback after the last attempt
    assert tokenizer.eos_token not in text[:-len(tokenizer.eos_token)]  # end-of-text only at the very end


def test_single_attempt_leaves_generation_to_trl():
    assert build_rollout(1, get_task("countdown")) is None


def test_chat_bridge_closes_the_turn_and_opens_the_next_assistant_turn(tokenizer):
    prompt = [{"role": "user", "content": "make 16"}]
    text = chat_bridge_text(tokenizer, prompt, "wrong value")
    assert text.startswith(IM_END) and "wrong value" in text and text.endswith("<|im_start|>assistant\n")


def test_rollout_inside_trl_checks_each_prompt_against_its_own_row_and_returns_trls_mask_key(tokenizer):
    from habits.train.trl_seam import ENV_MASK, rollout_func

    task = get_task("countdown")
    other = {"numbers": [2, 3, 4], "target": 14}
    rows = rl_rows(task, [PROBLEM, other])
    engine = ScriptedEngine(tokenizer, [["<answer>(3+5)*2</answer>", "<answer>(3+5)*2</answer>"],
                                        ["<answer>2*(3+4)</answer>"]], tokenizer.eos_token)
    run = rollout_func(VerifyAndRevise(task, attempts=2), engine_factory=lambda trainer: engine)
    out = run([row["prompt"] for row in rows], SimpleNamespace(batch_rows=rows))
    assert out["attempts"] == [1, 2]  # the same answer is right for the first row's problem only
    assert ENV_MASK in out and "model_mask" not in out and 0 in out[ENV_MASK][1]
    with pytest.raises(RuntimeError, match="1 prompts but 2 rows"):
        run([rows[0]["prompt"]], SimpleNamespace(batch_rows=rows))


def test_trl_engine_generates_each_context_with_the_images_of_the_prompt_it_continues():
    from habits.train.trl_seam import TRLEngine

    class Trainer:
        processing_class, eos_token_ids, calls = None, [0], []

        def _tokenize_prompts(self, prompts):
            images = [[f"image of {p}"] for p in prompts]
            return [[1, 2, 3] for _ in prompts], images, {"pixel_values": [f"pixels of {p}" for p in prompts],
                                                          "token_type_ids": [[0, 1, 0] for _ in prompts]}

        def _generate_single_turn(self, contexts, images, fields, n):
            self.calls.append((images, fields))
            return [[9] for _ in contexts], None

    engine = TRLEngine(Trainer())
    assert engine.tokenize(["a", "b", "c"]) == [[1, 2, 3]] * 3
    engine.generate([[1, 2, 3, 9, 7], [1, 2, 3]], which=[2, 0])  # prompt c after an attempt, then prompt a
    images, fields = Trainer.calls[-1]
    assert images == [["image of c"], ["image of a"]] and fields["pixel_values"] == ["pixels of c", "pixels of a"]
    assert fields["token_type_ids"] == [[0, 1, 0, 0, 0], [0, 1, 0]]  # the text after the prompt is not an image
    with pytest.raises(RuntimeError, match="prompt index"):
        engine.generate([[1, 2, 3]])
