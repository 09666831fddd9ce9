"""The shared job panel: while one page's job runs, every page's Start is disabled and says why; Stop ends it."""
import gc
import threading
import weakref

from tests.core.test_jobs import Model, _work_over
from ui.jobs import _Gate
from ui.strings import KO


def test_one_job_per_session_and_stop(open_page):
    at = open_page("app_pages/02_pytorch_basics.py")
    at.slider(key="lr.epochs").set_value(1000)
    at.slider(key="lr.delay").set_value(0.1)  # ~100 s if nobody stops it
    at.button(key="lr.train").click().run()
    job = at.session_state["basics.job"]
    assert job.running
    assert any(KO["jobs.busy"] in c.value for c in at.caption)
    at.switch_page("app_pages/05_sequence.py").run()
    assert at.button(key="seq.train").disabled
    assert any(KO["jobs.busy_other"].split("(")[0] in c.value for c in at.caption)
    at.switch_page("app_pages/02_pytorch_basics.py").run()
    at.button(key="basics.job.stop").click().run()
    assert job.wait(30) and job.stopped_early and len(job.metrics) < 1000
    at.run()
    assert not at.button(key="lr.train").disabled
    assert any(KO["lr.stopped"].split("}")[1][:8] in s.value for s in at.info)


def test_the_gate_lets_go_once_its_run_is_over_or_stopped_in_the_queue():
    for stopped in (False, True):
        model = Model()
        ref = weakref.ref(model)
        gate = _Gate(_work_over(model), light=True)
        del model
        stop = threading.Event()
        if stopped:  # the slot is taken: the run waits in the queue and is stopped there
            gate.slots.acquire()
            stop.set()
        try:
            out = list(gate(stop))
        finally:
            if stopped:
                gate.slots.release()
        assert len(out) == (0 if stopped else 3)
        gc.collect()
        assert ref() is None, stopped
