"""Map-reduce summaries and prompt-lab templates, checked on the exact prompts the model receives."""
import pytest

from core import prompts as P
from core import summary as S
from core.errors import UserError


class Recorder:
    """A provider that answers each prompt with a numbered tag, keeping every prompt it was sent."""

    name = "recorder"

    def __init__(self):
        self.prompts = []

    def models(self):
        return [self.name]

    def stream(self, messages, **params):
        self.prompts.append(messages[-1]["content"])
        yield f"<answer {len(self.prompts)}>"


# Six distinct paragraphs, each ~300 characters, so a 700-character chunk size gives several chunks.
PARAS = [f"Paragraph {i}: " + f"fact number {i} is about topic {i}. " * 9 for i in range(1, 7)]
LONG = "\n\n".join(PARAS)


def test_long_text_is_mapped_per_chunk_then_reduced_from_the_partials():
    rec = Recorder()
    steps = []
    out = S.summarize(rec, LONG, form="one_line", lang="en", chunk_size=700,
                      progress=lambda done, total: steps.append((done, total)))
    assert out.chunks >= 3 and len(rec.prompts) == out.chunks + 1  # one map call per chunk, one reduce call
    maps, reduce = rec.prompts[:-1], rec.prompts[-1]
    assert all(p.startswith("Summarise this part") and "in one sentence" in p and "English" in p for p in maps)
    for i in range(1, len(PARAS) + 1):  # every paragraph reaches some map prompt, none reaches the reduce one
        assert any(f"Paragraph {i}:" in p for p in maps) and f"Paragraph {i}:" not in reduce
    assert reduce.startswith("These are summaries") and "in one sentence" in reduce
    for i in range(1, out.chunks + 1):  # the reduce step sees each partial, numbered in order
        assert f"Part {i}: <answer {i}>" in reduce
    assert out.partials == [f"<answer {i}>" for i in range(1, out.chunks + 1)]
    assert out.text == f"<answer {out.chunks + 1}>"  # the final summary is the reduce answer
    assert steps[-1] == (out.chunks + 1, out.chunks + 1) and len(steps) == out.chunks + 1


def test_short_text_takes_one_call_and_options_reach_the_prompt():
    rec = Recorder()
    out = S.summarize(rec, "PyTorch is a deep learning library.", form="bullets", lang="ko")
    assert out.chunks == 1 and out.partials == [] and out.text == "<answer 1>" and len(rec.prompts) == 1
    assert "bullet points" in rec.prompts[0] and "Korean" in rec.prompts[0]
    assert rec.prompts[0].endswith("PyTorch is a deep learning library.")


@pytest.mark.parametrize("text,form,lang,key", [("   ", "bullets", "ko", "sum.empty"),
                                                 ("text", "poem", "ko", "sum.bad_option"),
                                                 ("text", "bullets", "fr", "sum.bad_option")])
def test_summary_refusals(text, form, lang, key):
    with pytest.raises(UserError) as info:
        S.summarize(Recorder(), text, form=form, lang=lang)
    assert info.value.key == key


EXAMPLES = [{"input": "I loved this film", "output": "positive"},
            {"input": "Dull and far too long", "output": "negative"}]


def test_few_shot_examples_become_alternating_turns_before_the_question():
    msgs = P.build("few_shot", "Classify the sentiment.", "What a great day", EXAMPLES)
    assert msgs == [{"role": "system", "content": "Classify the sentiment."},
                    {"role": "user", "content": "I loved this film"}, {"role": "assistant", "content": "positive"},
                    {"role": "user", "content": "Dull and far too long"}, {"role": "assistant", "content": "negative"},
                    {"role": "user", "content": "What a great day"}]


def test_zero_shot_cot_and_role_templates():
    zero = P.build("zero_shot", "Answer briefly.", "What is 2+2?")
    assert zero == [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is 2+2?"}]
    cot = P.build("cot", "Answer briefly.", "What is 2+2?")
    assert cot[-1]["content"] == "What is 2+2?\n\n" + P.COT_SUFFIX and len(cot) == 2
    role = P.build("role", "Answer briefly.", "What is 2+2?", role="a maths teacher")
    assert role[0] == {"role": "system", "content": "You are a maths teacher."} and role[1:] == zero


@pytest.mark.parametrize("template,examples,key", [
    ("few_shot", [{"input": "half", "output": " "}], "pl.no_examples"),
    ("haiku", None, "pl.bad_template"),
])
def test_prompt_refusals(template, examples, key):
    with pytest.raises(UserError) as info:
        P.build(template, "task", "text", examples)
    assert info.value.key == key
    with pytest.raises(UserError) as info:
        P.build("zero_shot", " ", " ")
    assert info.value.key == "llm.empty_prompt"
