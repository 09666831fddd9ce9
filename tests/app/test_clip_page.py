"""The image–text page: says what it uses, trains the dual encoder in the job panel, then shows zero-shot scores
per language, the similarity matrix and text → image search; an empty query is explained."""
from tests.app.conftest import run_job


def test_clip_page_trains_and_shows_results(open_page):
    at = open_page("app_pages/07_clip.py")
    assert any("InfoNCE" in i.value and "e5" in i.value for i in at.info)  # what was used and why
    at.slider(key="clip.steps").set_value(100)
    job = run_job(at, "clip.job.start", "clip.job", 600)
    assert job.metrics[-1].step == 100 and job.metrics[-1].loss < job.metrics[0].loss
    scores = {m.label: float(m.value.rstrip("%")) for m in at.metric}
    assert scores["한국어 캡션"] > 30 and scores["영어 캡션"] > 30  # chance is 10 %
    found = [c.value for c in at.caption if c.value.startswith("찾은 이미지의 실제 클래스: ")]
    assert found and len(found[0].split(": ")[1].split(", ")) == 8  # the search results, with their classes
    at.text_input(key="clip.query").input("   ").run()
    assert any("비어 있습니다" in e.value for e in at.error)
