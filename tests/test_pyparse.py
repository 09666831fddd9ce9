"""The CPython 3.11 `ast` race (python/cpython#106905) and how the app avoids it:
the project's own parsing goes through core.pyparse's lock, and Streamlit's magic (which parses every page in its
script thread) is off."""
import ast
import gc
import sys
import threading
import time

from streamlit.testing.v1 import AppTest

from core import pyparse

SOURCE = "\n".join(f"def f{i}(x):\n    return " + "(" * 30 + "x" + "+1)" * 30 for i in range(60))


class _Finalizer:
    def __del__(self):
        sum(range(50))  # Python code run by the collector: the interpreter may switch threads mid-parse


def race(parse, seconds: float = 2.0, threads: int = 4) -> list[str]:
    """Parse from several threads while the collector runs finalizers; the SystemErrors seen."""
    errors: list[str] = []
    deadline = time.time() + seconds

    def work():
        while time.time() < deadline and not errors:
            for _ in range(200):
                junk = _Finalizer()
                junk.cycle = junk  # freed only by the collector, at some allocation inside the parse
            del junk
            try:
                parse(SOURCE)
            except SystemError as exc:
                errors.append(str(exc))

    old_interval, old_threshold = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(50, 5, 5)
    try:
        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(old_interval)
        gc.set_threshold(*old_threshold)
    return errors


def test_a_parse_waits_while_another_thread_parses():
    """The mechanism, deterministically: a parse started while another holds the parse lock waits for it. (Whether
    the bare race shows within seconds depends on the machine's scheduling, so a test of its teeth would be flaky.)"""
    out: list[ast.AST] = []
    with pyparse._LOCK:
        worker = threading.Thread(target=lambda: out.append(pyparse.parse("x = 1")))
        worker.start()
        worker.join(0.3)
        assert worker.is_alive() and not out
    worker.join(5)
    assert isinstance(out[0], ast.Module)


def test_the_projects_parse_survives_the_same_race():
    assert race(pyparse.parse) == []


def test_streamlit_magic_is_off_so_scripts_are_not_parsed_into_ast():
    at = AppTest.from_string('import streamlit as st\nst.text("x")\n"a bare string that magic would render"').run()
    assert not at.exception
    assert [t.value for t in at.text] == ["x"] and not at.markdown
