"""The course map: days → pages. Home.py builds st.navigation from it; the Home page draws it.

Adding a page = write app_pages/NN_name.py and add one PageSpec here (plus its strings in a ui/strings/ module).
A spec whose file does not exist yet is listed on Home as "coming soon" and not routed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    path: str        # relative to the repo root
    title_key: str   # i18n key of the page title
    icon: str
    day: int

    @property
    def exists(self) -> bool:
        return (ROOT / self.path).is_file()


@dataclass(frozen=True)
class Day:
    number: int
    title_key: str
    goal_key: str


DAYS = [Day(n, f"day{n}.title", f"day{n}.goal") for n in range(1, 11)]

PAGES = [
    PageSpec("app_pages/home.py", "page.home", "🏠", 1),
    PageSpec("app_pages/01_eda.py", "page.eda", "📊", 1),
    PageSpec("app_pages/02_pytorch_basics.py", "page.basics", "🧮", 2),
    PageSpec("app_pages/03_dnn.py", "page.dnn", "🧠", 3),
    PageSpec("app_pages/04_cnn.py", "page.cnn", "🖼️", 4),
    PageSpec("app_pages/05_sequence.py", "page.sequence", "🔁", 5),
    PageSpec("app_pages/05_word2vec.py", "page.word2vec", "🔤", 5),
    PageSpec("app_pages/06_search.py", "page.search", "🔎", 6),
    PageSpec("app_pages/06_rag.py", "page.rag", "📚", 6),
    PageSpec("app_pages/07_transformer.py", "page.transformer", "🔬", 7),
    PageSpec("app_pages/07_lora.py", "page.lora", "🪄", 7),
    PageSpec("app_pages/07_vit.py", "page.vit", "🧩", 7),
    PageSpec("app_pages/07_clip.py", "page.clip", "🔗", 7),
    PageSpec("app_pages/08_chat.py", "page.chat", "💬", 8),
    PageSpec("app_pages/08_prompt_lab.py", "page.prompt_lab", "🧪", 8),
    PageSpec("app_pages/08_agent.py", "page.agent", "🛠️", 8),
    PageSpec("app_pages/08_gan.py", "page.gan", "🎨", 8),
    PageSpec("app_pages/09_serving.py", "page.serving", "🚀", 9),
    PageSpec("app_pages/09_llm_eval.py", "page.llm_eval", "📏", 9),
    PageSpec("app_pages/10_runs.py", "page.runs", "📒", 10),
    PageSpec("app_pages/10_showcase.py", "page.showcase", "🎤", 10),
    PageSpec("app_pages/10_final_project.py", "page.final_project", "🏁", 10),
]


def routed_pages() -> list[PageSpec]:
    return [p for p in PAGES if p.exists]


def pages_for_day(day: int) -> list[PageSpec]:
    return [p for p in PAGES if p.day == day and p.path != "app_pages/home.py"]
