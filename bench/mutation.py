"""Mutation testing as a measure of test strength (not part of `make test`; CPU-heavy).

    python bench/mutation.py                  # every module below (hours on a shared 2-core machine)
    python bench/mutation.py documents        # one module (documents: 436 mutants, ~15 min at nice 19 under load;
                                              # vectordb and train take an hour or more there)
    python bench/mutation.py --diffs rag      # also print each survivor's diff
    python bench/mutation.py --sample 120 --seed 1 rag text   # a uniform random sample of each module's mutants

For each core module, mutmut (requirements-dev.txt) changes one operator, constant or call at a time and runs only
the tests that cover that module; a mutant is killed when some test fails. Each module runs in its own scratch
copy of the repository, so the working tree is never touched. Prints killed / total per module (goal: >= 80 %)
and the surviving mutants, to be read and either killed by a better test or judged equivalent. With --sample N,
mutmut runs only N mutant names drawn uniformly (the same seed draws the same ones while the module is unchanged),
and the share comes with its 95 % Wilson interval.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.80
# module -> the tests that exercise it (the slow model-loading ones are left to `make test`)
MODULES = {
    "autograd_demo": ["tests/core/test_autograd_demo.py", "tests/core/test_autograd_edge_cases.py"],
    "train": ["tests/core/test_train_matches_plain_loop.py", "tests/core/test_train.py",
              "tests/core/test_cnn_training.py"]
    + [f"tests/core/test_vision.py::{t}" for t in (
        "test_fit_reduces_loss_and_learns", "test_stop_event_ends_within_one_step_and_keeps_the_model",
        "test_same_seed_same_first_epoch_loss", "test_early_stopping_stops")],  # not the EfficientNet one
    # not the tests that load a local LLM or embed the whole constitution, nor those of the vector store alone
    "rag": [f"tests/core/test_search_rag.py::{t}" for t in (
        "test_citations_point_at_retrieved_chunks", "test_threshold_says_dont_know_without_calling_the_llm",
        "test_sentences_split_at_clauses_and_endings",
        "test_faithfulness_flag_and_citation_follow_the_supporting_sentence",
        "test_asked_count_expects_the_counter_the_question_names",
        "test_headings_are_not_answers_and_list_items_keep_their_lead_in")]
    + ["tests/core/test_faiss_mmr_against_references.py::test_mmr_skips_near_duplicates_that_plain_top_k_returns",
       "tests/core/test_rag_rules_scripted_provider.py"],
    "vectordb": ["tests/core/test_vectordb_against_numpy.py"]
    + [f"tests/core/test_faiss_mmr_against_references.py::{t}" for t in (
        "test_flat_equals_numpy_brute_force_and_reported_recalls_are_true",
        "test_ivf_recall_grows_with_nprobe_and_is_exact_when_it_probes_every_list")],
    # not the exported-script test (a subprocess retraining a model: core/text_script.py's test) nor the data tests
    "text": [f"tests/core/test_text.py::{t}" for t in (
        "test_vocab_round_trip_korean",
        "test_vocab_min_freq_and_max_size", "test_subword_tokenizer_shows_why_korean_needs_its_own_vocabulary",
        "test_packed_batch_equals_single_examples", "test_lstm_training_reduces_loss_on_template_set",
        "test_byte_level_tokens_render_readably", "test_pretrained_embedding_model_starts_from_qwen_rows_and_learns",
        "test_explanation_marks_unknown_tokens_and_gives_every_prefix", "test_qwen_explanation_shows_readable_subwords",
        "test_morphemes_give_dictionary_forms_and_rare_words_are_flagged",
        "test_word2vec_neighbours_find_cooccurring_word", "test_e5_corpus_vectors_are_cached_on_disk_and_reused",
        "test_shipped_e5_vectors_are_the_models_own_for_every_builtin_sentence",
        "test_default_e5_head_trains_and_its_loss_drops")]
    + ["tests/core/test_text.py::test_analogies_find_the_other_gender_of_the_same_role",
       "tests/core/test_text_against_references.py"],
    "documents": ["tests/core/test_documents_limits_and_chunks.py"] + [f"tests/core/test_search_rag.py::{t}" for t in (
        "test_bad_uploads", "test_huge_upload_refused_with_limit", "test_good_uploads_docx_and_cp949",
        "test_chunking_follows_articles_and_keeps_metadata", "test_long_article_pieces_keep_their_heading")],
}
COPY = ("core", "serve", "ui", "tests", "data", "scripts", "assets", "pyproject.toml")


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


# mutmut 3 generates mutants only inside `mutmut run`; these are its own steps, so the names exist before any test runs
_GENERATE = """from pathlib import Path
from mutmut.__main__ import create_mutants
from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir
Path("mutants").mkdir()
copy_src_dir()
copy_also_copy_files()
create_mutants(1)
"""

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


def _exit_codes(work: Path, module: str) -> dict[str, int | None]:
    meta = json.loads((work / "mutants" / "core" / f"{module}.py.meta").read_text())
    return meta["exit_code_by_key"]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a share k/n."""
    if not n:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def run(module: str, diffs: bool = False, sample: int | None = None, seed: int = 0) -> dict:
    from mutmut.stats import status_by_exit_code

    work = _scratch(module)
    try:
        subprocess.run([sys.executable, "-c", _GENERATE], cwd=work, check=True, stdout=subprocess.DEVNULL)
        names = sorted(_exit_codes(work, module))
        total = len(names)
        if sample is not None and sample < total:
            names = sorted(random.Random(seed).sample(names, sample))
        # one worker per core; `-m` also finds a mutmut installed away from this interpreter (pip --target).
        # mutmut prints a progress line per mutant: only a failure's last words are worth showing
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(os.cpu_count() or 2),
                               *(names if len(names) < total else [])],
                              cwd=work, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"mutmut failed on core/{module}.py (a test failing in the scratch copy?):\n"
                     f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        codes = _exit_codes(work, module)
        status = {n: status_by_exit_code[codes[n]] for n in names}
        stats = {"total": total, "checked": len(names)}
        for key in ("killed", "timeout", "survived", "no tests", "suspicious", "not checked"):
            stats[key] = sum(s == key for s in status.values())
        stats["survivors"] = [n for n, s in status.items() if s in ("survived", "no tests")]
        stats["diffs"] = _diffs(work, stats["survivors"]) if diffs else {}
        return stats
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(modules: list[str], diffs: bool = False, sample: int | None = None, seed: int = 0) -> int:
    ok = True
    for module in modules:
        s = run(module, diffs, sample, seed)
        killed = s["killed"] + s["timeout"]  # a mutant that makes the tests hang is caught, too
        share = killed / s["checked"] if s["checked"] else 0.0
        low, high = wilson(killed, s["checked"])
        ok &= share >= GOAL
        scope = f"of {s['checked']} sampled (seed {seed}) of {s['total']}" if s["checked"] < s["total"] else \
            f"of all {s['total']}"
        print(f"core/{module}.py: {killed} killed {scope} mutants ({share:.1%}, 95 % CI {low:.1%}-{high:.1%}; "
              f"goal {GOAL:.0%}); survived {s['survived']}, no tests {s['no tests']}, "
              f"suspicious {s['suspicious']}, not checked {s['not checked']}")
        for name in s["survivors"]:
            print(f"  survivor {name}")
            changed = [ln for ln in s["diffs"].get(name, "").splitlines()
                       if ln.startswith(("-", "+")) and not ln.startswith(("---", "+++"))]
            for line in changed:
                print("    " + line)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="module", help=f"any of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--diffs", action="store_true", help="print each survivor's diff")
    parser.add_argument("--sample", type=int, help="run only this many mutants per module, drawn at random")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --sample draw")
    a = parser.parse_args()
    if unknown := sorted(set(a.modules) - set(MODULES)):
        parser.error(f"unknown module(s) {unknown}")
    sys.exit(main(a.modules or list(MODULES), a.diffs, a.sample, a.seed))
