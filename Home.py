"""Router: the entry point of `streamlit run Home.py`. Sections per course day; pages live in app_pages/.

The folder is deliberately not called `pages/`: Streamlit treats a `pages/` folder next to the entry script as a
legacy (v1) multipage app, and a rerun from a fragment then runs the page without this router.
"""
import streamlit as st

st.set_page_config(page_title="PyTorch · LLM 코스", page_icon="🎓", layout="wide")

from ui import classroom  # noqa: E402
from ui.course import DAYS, routed_pages  # noqa: E402
from ui.i18n import language_switch, t  # noqa: E402
from ui.resources import new_run, settings  # noqa: E402
from ui.state import session_id  # noqa: E402

settings()  # applies HF_HUB_OFFLINE etc. before any page can import transformers
language_switch()
session_id()  # ?sid=… in the URL: a reload finds this session's uploads, runs and chats again

sections: dict[str, list] = {}
pages: dict[str, st.Page] = {}
for spec in routed_pages():
    day = DAYS[spec.day - 1]
    section = t("nav.start") if spec.path == "app_pages/home.py" else t("nav.day", n=day.number, title=t(day.title_key))
    pages[spec.path] = st.Page(spec.path, title=t(spec.title_key), icon=spec.icon,
                               default=spec.path == "app_pages/home.py")
    sections.setdefault(section, []).append(pages[spec.path])
current = st.navigation(sections, expanded=True)  # all pages visible, not "view more"
classroom.route(pages, current)  # a lesson link (?page=dnn&preset=overfit&hide=seed) switches and presets
classroom.sidebar(next((p for p, page in pages.items() if page.url_path == current.url_path), ""))
new_run(current.url_path)  # light mode: only this page's big models stay (ui.resources)
current.run()
