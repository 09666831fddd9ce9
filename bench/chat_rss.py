"""Peak RSS of the chat page answering one message with the local 0.5B model (prints its figures; not a test): a
fresh process runs the real router (Home.py) on the chat page through Streamlit's AppTest, sends one Korean
message, and reports its own peak RSS and whether torch was imported. Goal (issue 33): <= 1.2 GB with the default
CTranslate2 int8 engine. COURSE_LLM_ENGINE=torch gives the torch fp32 figure beside it.

    .venv/bin/python bench/chat_rss.py
    COURSE_LLM_ENGINE=torch .venv/bin/python bench/chat_rss.py
"""
import resource
import sys
import time

from _common import ROOT

GOAL_MIB = 1229  # 1.2 GB


def main():
    from streamlit.testing.v1 import AppTest

    start = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=600)
    at.run()
    at.switch_page("app_pages/08_chat.py")
    at.run()
    provider = at.sidebar.selectbox(key="chat.provider").value
    at.chat_input(key="chat.input").set_value("딥러닝을 한 문단으로 설명하세요.").run()
    if at.exception:
        sys.exit(f"the page failed: {[e.value for e in at.exception]}")
    reply = at.session_state["chat.messages"][-1]["content"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"chat page, {provider}: peak RSS {peak:.0f} MiB (goal <= {GOAL_MIB}: "
          f"{'met' if peak <= GOAL_MIB else 'NOT met'}); torch imported: {'torch' in sys.modules}; "
          f"{time.perf_counter() - start:.1f} s; reply {reply[:60]!r}")


if __name__ == "__main__":
    main()
