"""scripts/new_project.py: the starter is copied under a new name, registered once, and never overwrites."""
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("new_project", ROOT / "scripts" / "new_project.py")
new_project = importlib.util.module_from_spec(spec)
spec.loader.exec_module(new_project)


@pytest.fixture
def repo(tmp_path):
    for src, _ in new_project.FILES + [("ui/course.py", "")]:
        (tmp_path / src).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / src, tmp_path / src)
    return tmp_path


def test_copies_renames_and_registers(repo):
    made = new_project.scaffold("dog_classifier", "강아지 분류기", "Dog classifier", "🐶", root=repo)
    assert len(made) == 5 and all(p.exists() for p in made)
    page = (repo / "app_pages/10_dog_classifier.py").read_text()
    assert "from core import dog_classifier as project" in page and '"dog_classifier.go"' in page
    assert "final_project" not in page
    strings = (repo / "ui/strings/dog_classifier.py").read_text()
    ns: dict = {}
    exec(strings, ns)
    assert ns["KO"]["page.dog_classifier"] == "강아지 분류기" and ns["EN"]["page.dog_classifier"] == "Dog classifier"
    assert set(ns["KO"]) == set(ns["EN"]) and all(k.startswith(("page.", "dog_classifier.")) for k in ns["KO"])
    course = (repo / "ui/course.py").read_text()
    assert course.count('PageSpec("app_pages/10_dog_classifier.py", "page.dog_classifier", \'🐶\', 10)') == 1
    for test in ("tests/core/test_dog_classifier.py", "tests/app/test_dog_classifier_page.py"):
        compile((repo / test).read_text(), test, "exec")
    assert '"dog_classifier.text"' in (repo / "tests/app/test_dog_classifier_page.py").read_text()


def test_the_copy_works_as_a_service(repo):
    from core.errors import UserError

    new_project.scaffold("dog_classifier", "강아지 분류기", "Dog classifier", root=repo)
    spec = importlib.util.spec_from_file_location("dog_classifier", repo / "core/dog_classifier.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["dog_classifier"] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["dog_classifier"]
    assert module.predict(module.train(), "정말 최고예요, 강추합니다").label == "positive"
    with pytest.raises(UserError) as err:
        module.predict(None, "")
    assert err.value.key == "dog_classifier.empty"


def test_refuses_bad_names_and_overwrites(repo):
    with pytest.raises(SystemExit):
        new_project.scaffold("../evil", "x", "x", root=repo)
    new_project.scaffold("mine", "x", "x", root=repo)
    with pytest.raises(SystemExit):
        new_project.scaffold("mine", "x", "x", root=repo)
    assert sys.modules.get("core.mine") is None
