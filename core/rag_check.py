"""An opt-in "LLM check" of answerability: the local model (CTranslate2 int8, core.llm.ct2) reads the units the
retrieval chose and the question, and the probability that its next word is "Yes" to "Do these sentences answer
the question?" is the score. One prefill (Generator.score_batch), no generation. Measured by bench/rag_llm_check.py;
not a default (its median time is above the extractive default's 0.2 s budget).
"""
from __future__ import annotations

import math

CHECK_SYSTEM = "Answer with one word: Yes or No."
CHECK_USER = "Sentences:\n{context}\n\nQuestion: {question}\n\nDo the sentences above answer the question? Yes or No."


def check_messages(question: str, sentences: list[str]) -> list[dict]:
    """The messages the model reads: the chosen sentences, numbered, then the question and the yes/no ask."""
    context = "\n".join(f"[{i}] {s}" for i, s in enumerate(sentences, 1))
    return [{"role": "system", "content": CHECK_SYSTEM},
            {"role": "user", "content": CHECK_USER.format(context=context, question=question)}]


def p_yes(provider, question: str, sentences: list[str]) -> float:
    """P("Yes" | the check prompt) under a core.llm.ct2.CT2Provider (0.0 with no sentence at all)."""
    if not sentences:
        return 0.0
    tok = provider.tok
    prompt = tok.convert_ids_to_tokens(provider.prompt_ids(check_messages(question, sentences)))
    yes = tok.convert_ids_to_tokens(tok.encode("Yes", add_special_tokens=False))[:1]
    with provider.exclusive():  # the worker thread's generation and this scoring share the engine
        result = provider.generator.score_batch([prompt + yes])[0]
    return math.exp(result.log_probs[-1])
