"""Mutation testing as a measure of test strength (not part of `make test`; CPU-heavy).

    python bench/mutation.py                  # every module below (hours on a shared 2-core machine)
    python bench/mutation.py documents        # one module (documents: 436 mutants, ~15 min at nice 19 under load;
                                              # vectordb and train take an hour or more there)
    python bench/mutation.py --diffs rag      # also print each survivor's diff

For each core module, mutmut (requirements-dev.txt) changes one operator, constant or call at a time and runs only
the tests that cover that module; a mutant is killed when some test fails. Each module runs in its own scratch
copy of the repository, so the working tree is never touched. Prints killed / total per module (goal: >= 80 %)
and the surviving mutants, to be read and either killed by a better test or judged equivalent.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.80
# module -> the tests that exercise it (the slow model-loading ones are left to `make test`)
MODULES = {
    "autograd_demo": ["tests/core/test_autograd_demo.py", "tests/core/test_strength_autograd.py"],
    "train": ["tests/core/test_strength_train.py", "tests/core/test_train.py", "tests/core/test_cnn_training.py"]
    + [f"tests/core/test_vision.py::{t}" for t in (
        "test_fit_reduces_loss_and_learns", "test_stop_event_ends_within_one_step_and_keeps_the_model",
        "test_same_seed_same_first_epoch_loss", "test_early_stopping_stops",
        "test_transfer_learning_freezes_backbone_and_trains_head")],
    "rag": ["tests/core/test_search_rag.py", "tests/core/test_strength_search.py"],
    "vectordb": ["tests/core/test_strength_vectordb.py"] + [f"tests/core/test_strength_search.py::{t}" for t in (
        "test_flat_equals_numpy_brute_force_and_reported_recalls_are_true",
        "test_ivf_recall_grows_with_nprobe_and_is_exact_when_it_probes_every_list")],
    "text": ["tests/core/test_text.py", "tests/core/test_strength_word2vec.py"],
    "documents": ["tests/core/test_strength_documents.py"] + [f"tests/core/test_search_rag.py::{t}" for t in (
        "test_bad_uploads", "test_huge_upload_refused_with_limit", "test_good_uploads_docx_and_cp949",
        "test_chunking_follows_articles_and_keeps_metadata", "test_long_article_pieces_keep_their_heading")],
}
COPY = ("core", "serve", "ui", "tests", "data", "scripts", "pyproject.toml")


def _scratch(module: str) -> Path:
    """A copy of the repository with a setup.cfg pointing mutmut at one module and its tests.

    Workers fork from a server that has only collected the tests: forked straight from mutmut's main process,
    which ran the suite, they inherit Chroma's runtime threads and hang, and every hang counted as a kill. Each
    worker then imports chromadb/torch and loads its fixtures afresh, which mutmut's default allowance (15x the
    tests' own time + 1 s) does not cover on a busy machine: a slow start would count as a kill, too."""
    work = Path(tempfile.mkdtemp(prefix=f"mutation-{module}-"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, work / name)
    tests = "\n    ".join(MODULES[module])
    also = "\n    ".join(n for n in COPY if n != "pyproject.toml")
    (work / "setup.cfg").write_text(f"""[mutmut]
source_paths = core/{module}.py
also_copy =
    {also}
pytest_add_cli_args_test_selection =
    {tests}
process_isolation = forkserver
timeout_constant = 60
pytest_add_cli_args =
    -p
    no:cacheprovider
    -o
    addopts=
""")
    return work


_SHOW = """import json, sys
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant
names = json.load(sys.stdin)
json.dump({n: get_diff_for_mutant(n, path=find_mutant(n).path) for n in names}, sys.stdout)
"""


def _diffs(work: Path, names: list[str]) -> dict[str, str]:
    """Every survivor's diff from one process (`mutmut show` per mutant pays mutmut's start-up each time)."""
    out = subprocess.run([sys.executable, "-c", _SHOW], cwd=work, input=json.dumps(names), capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def run(module: str, diffs: bool = False) -> dict:
    work = _scratch(module)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    try:
        subprocess.run([mutmut, "run", "--max-children", "2"], cwd=work, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([mutmut, "export-cicd-stats"], cwd=work, check=True, stdout=subprocess.DEVNULL)
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        listing = subprocess.run([mutmut, "results"], cwd=work, check=True, capture_output=True, text=True).stdout
        stats["survivors"] = [line.split(":")[0].strip() for line in listing.splitlines() if "survived" in line]
        stats["diffs"] = _diffs(work, stats["survivors"]) if diffs else {}
        return stats
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(modules: list[str], diffs: bool = False) -> int:
    ok = True
    for module in modules:
        s = run(module, diffs)
        killed = s["killed"] + s["timeout"]  # a mutant that makes the tests hang is caught, too
        share = killed / s["total"] if s["total"] else 0.0
        ok &= share >= GOAL
        print(f"core/{module}.py: {killed}/{s['total']} mutants killed ({share:.0%}; goal {GOAL:.0%}); "
              f"survived {s['survived']}, no tests {s['no_tests']}, suspicious {s['suspicious']}")
        for name in s["survivors"]:
            print(f"  survivor {name}")
            changed = [ln for ln in s["diffs"].get(name, "").splitlines()
                       if ln.startswith(("-", "+")) and not ln.startswith(("---", "+++"))]
            for line in changed:
                print("    " + line)
    return 0 if ok else 1


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--diffs"]
    unknown = set(args) - set(MODULES)
    if unknown:
        sys.exit(f"unknown module(s) {sorted(unknown)}; choose from {sorted(MODULES)}")
    sys.exit(main(args or list(MODULES), "--diffs" in sys.argv))
