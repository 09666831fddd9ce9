"""Dynamic few-shot: the worked examples a model is shown are the ones nearest to its task (Liu et al. 2022, "What
Makes Good In-Context Examples for GPT-3?"), retrieved by an embedder from a pool a student can extend.

    pool = ExamplePool.load("data/agent_examples.jsonl", embedder, k=4)
    pool("시속 72km로 2시간 가면?")  -> [(task, program), ...]   the k nearest, the nearest last (next to the task)

A tool carries a pool as its `examples` metadata (registry.py) in place of a fixed tuple. One JSON object a line:
{"task": "...", "tool": "calculator", "program": "..."}; a line without a program (a date task, a look-up) is an
example of which tool a task needs, and only that.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class ExamplePool:
    def __init__(self, examples: list[tuple], embedder, k: int = 4):
        """examples: (task, program) pairs, or (task, program, tool) rows (program '' for a tool-only example)."""
        self.rows = [(ex[0], ex[1], ex[2] if len(ex) > 2 else "") for ex in examples]
        self.examples = [(task, program) for task, program, _ in self.rows if program]
        self.embedder, self.k = embedder, k
        self._vectors = None  # embedded on first use: building the tools stays cheap

    @classmethod
    def load(cls, path: str | Path, embedder, k: int = 4) -> ExamplePool:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return cls([(r["task"], r.get("program", ""), r.get("tool", "")) for r in rows], embedder, k)

    def nearest(self, task: str) -> list[tuple[float, tuple[str, str, str]]]:
        """Every row (task, program, tool) with its cosine similarity to the task, the nearest first."""
        if self._vectors is None:
            # both sides as queries: a task is compared with tasks (measured with e5: the passage side ranked an
            # epoch example above a Celsius one for a Fahrenheit task; the query side did not)
            self._vectors = np.stack([np.asarray(self.embedder.embed_query(t)).reshape(-1) for t, _, _ in self.rows])
        sims = self._vectors @ np.asarray(self.embedder.embed_query(task)).reshape(-1)
        return [(float(sims[i]), self.rows[i]) for i in np.argsort(-sims)]

    def __call__(self, task: str) -> list[tuple[str, str]]:
        """The k nearest worked programs, the nearest last."""
        return [(t, p) for _, (t, p, _) in self.nearest(task) if p][:self.k][::-1]
