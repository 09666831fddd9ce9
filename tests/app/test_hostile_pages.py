"""Hostile input on the pages: each is refused with its translated message on the page (no traceback), and the
rest of the page and what the user had before keep working."""
from ui.strings import KO

PAGE = "app_pages/02_pytorch_basics.py"


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _prefix(key: str) -> str:
    """The fixed start of a message (before its first parameter): what the page must show, in Korean."""
    return KO[key].split("{")[0]


def test_a_4000_digit_tensor_literal_is_refused_and_the_page_goes_on(open_page):
    at = open_page(PAGE)
    at.text_input(key="tl.b.v").input("[" + "9" * 4000 + ", 1]").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(e.startswith(_prefix("tl.big_number")) for e in _errors(at)), _errors(at)
    assert len(max(_errors(at), key=len)) < 300  # the message quotes the start of the number, not all of it
    assert at.get("graphviz_chart")  # the autograd section below still drew its graph
    at.text_input(key="tl.b.v").input("[10, 20, 30]").run()
    assert not _errors(at) and any("shape (3,)" in c.value for c in at.code)


def test_deeply_nested_and_overflowing_autograd_expressions_are_refused(open_page):
    at = open_page(PAGE)
    at.text_area(key="ag.src.linear").input("y = " + "-" * 500 + "x").run()
    assert not at.exception, [e.value for e in at.exception]
    assert KO["ag.too_deep"].format(limit=100) in _errors(at)
    at.text_area(key="ag.src.linear").input("y = exp(x - 745) ** 0.01").run()
    assert not at.exception and KO["ag.grad_overflow"] in _errors(at)
    assert any("shape (2, 3)" in c.value for c in at.code)  # the tensor lab above is untouched


def test_in_app_client_sends_the_server_key_and_learns_its_place_in_the_queue(open_page, monkeypatch):
    import secrets
    import threading
    import urllib.error
    import urllib.request

    from core import evaluate

    monkeypatch.setenv("COURSE_SERVE_KEY", secrets.token_hex(8))  # the server started from the page requires it
    monkeypatch.setenv("COURSE_LLM_ENGINE", "torch")  # one generation at a time, so the second request queues
    at = open_page("app_pages/09_serving.py")
    at.button(key="ev.start").click().run()
    proc, url = at.session_state["serve.proc"], at.session_state["serve.url"]
    try:
        try:
            urllib.request.urlopen(url + "/v1/models", timeout=10)
            raise AssertionError("the server answered without the key")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        at.text_input(key="ev.q").input("Say hello.")
        at.button(key="ev.send").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]  # a missing key would be a 401 here
        first_ahead, first = evaluate.ask_server(url, "Count from one to fifty in words.", max_tokens=120)
        started = threading.Event()
        reader = threading.Thread(target=lambda: [started.set() for _ in first], daemon=True)
        reader.start()
        assert started.wait(60)  # the first request is generating now
        second_ahead, second = evaluate.ask_server(url, "Hi", max_tokens=4)
        assert (first_ahead, second_ahead) == (0, 1)
        "".join(second)
        reader.join(120)
    finally:
        at.button(key="ev.stop").click().run()
    assert proc.poll() is not None


def test_sessions_sharing_the_local_model_generate_one_at_a_time_and_see_their_place():
    """Two sessions asking the cached local model at once: the second waits for the first, and knows it."""
    import threading
    import time

    from core.assets import Registry
    from core.config import Settings
    from core.llm.local import LocalProvider, load_local

    cache = Settings.load().cache_dir
    provider = LocalProvider("smollm2-135m", *load_local("smollm2-135m", Registry(cache), cache))
    times: dict[str, list[float]] = {"a": [], "b": []}
    first_a = threading.Event()

    def ask(name: str, tokens: int):
        for _ in provider.stream([{"role": "user", "content": "Count to twenty."}], temperature=0,
                                 max_tokens=tokens):
            times[name].append(time.perf_counter())
            first_a.set()

    a = threading.Thread(target=ask, args=("a", 40))
    a.start()
    assert first_a.wait(120)
    assert provider.ahead() == 1  # a is generating
    b = threading.Thread(target=ask, args=("b", 8))
    b.start()
    time.sleep(0.5)
    assert provider.ahead() == 2  # b is in line behind a
    a.join(300)
    b.join(300)
    assert times["a"] and times["b"] and times["b"][0] >= times["a"][-1]  # b's first token after a's last
    assert provider.ahead() == 0
