"""Two agents taking turns: a writer drafts, a critic reviews, the writer revises (the smallest multi-agent shape).
No tools: plain chat turns, beside the tool agent of core/agent/."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from core.errors import UserError

WRITER = ("You are the writer. Write a short, clear answer (at most 5 sentences) to the task. When you get "
          "feedback, rewrite the whole answer improving it. Reply with the answer only. Use the task's language.")
CRITIC = ("You are the critic. Review the writer's answer to the task: list at most 3 concrete problems or "
          "improvements as short numbered points. Do not rewrite it. Use the task's language.")


@dataclass
class Turn:
    role: str   # writer | critic
    round: int
    text: str


def writer_critic(provider, task: str, rounds: int = 2, stop_event=None, **params) -> Iterator[Turn]:
    """writer → (critic → writer) × rounds; each turn yielded as soon as it is complete."""
    if not task.strip():
        raise UserError("agent.empty_task", "the task is empty")
    if not 1 <= rounds <= 5:
        raise UserError("agent.bad_rounds", "rounds out of range", limit=5)
    params = {"temperature": 0.3, "max_tokens": 200, **params}

    def say(system: str, user: str) -> str:
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return "".join(provider.stream(msgs, stop_event=stop_event, **params)).strip()

    draft = say(WRITER, f"Task: {task}")
    yield Turn("writer", 0, draft)
    for r in range(1, rounds + 1):
        if stop_event is not None and stop_event.is_set():
            return
        review = say(CRITIC, f"Task: {task}\n\nWriter's answer:\n{draft}")
        yield Turn("critic", r, review)
        if stop_event is not None and stop_event.is_set():
            return
        draft = say(WRITER, f"Task: {task}\n\nYour previous answer:\n{draft}\n\nCritic's feedback:\n{review}\n\n"
                            "Write the improved answer.")
        yield Turn("writer", r, draft)
