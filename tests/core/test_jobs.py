"""core.jobs.Job: a finished job keeps its metrics, not what its work closed over."""
import gc
import weakref

from core.jobs import Job


class Model:  # stands for a big model a page's work closes over (weakref-able, unlike a str)
    pass


def _work_over(model):
    def work(stop):
        for i in range(3):
            yield (i, id(model))
    return work


def test_a_finished_job_lets_go_of_what_its_work_closed_over():
    model = Model()
    ref = weakref.ref(model)
    job = Job(_work_over(model)).start()
    del model
    assert job.wait(10) and [m[0] for m in job.metrics] == [0, 1, 2]
    gc.collect()
    assert ref() is None  # the job (kept in session_state) no longer holds the model up
