"""LLM and voice benchmark (prints its figures; not a test).

Local model, every engine in its own process (so each peak RSS is its own), all in one run beside torch fp32:
torch fp32, torch dynamic int8, CTranslate2 int8 / int8_float32 / float32 compute (int8-stored weights), and
CTranslate2 int8 on 1 thread. For each: size, load time, greedy decode tokens/s, time to first token for a
~300-token prompt, greedy agreement with torch fp32 over 20 short prompts of our own, peak RSS.
Goals (issue 33): decode >= 2x torch fp32, first token <= half of torch fp32's, stretch >= 25 tokens/s, peak
RSS <= 1.2 GB. Summary: the map-reduce summary of the constitution's first 3,000 characters with the default
engine must name >= 3 of its real topics (our own list below). Voice: eSpeak NG speaks Korean and English
sentences, faster-whisper transcribes them: real-time factor and word/character error rate.

    .venv/bin/python bench/llm.py --model qwen2.5-0.5b --skip-voice
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: F401

from core import documents as D
from core import voice as V
from core.assets import Registry
from core.catalog import ct2_dir
from core.config import Settings
from core.llm import compare as C
from core.summary import summarize

EN = ["Today we will train a neural network on Fashion MNIST.", "The learning rate controls the size of each step.",
      "Retrieval augmented generation cites its sources."]
KO = ["오늘은 신경망을 학습합니다.", "학습률은 한 걸음의 크기를 정합니다.", "검색 증강 생성은 출처를 밝힙니다."]
# topics of the constitution's first 3,000 characters (preamble, 제1장 총강, start of 제2장), each with the words
# a summary naming it would use
TOPICS = {"민주공화국": ("민주공화국", "민주 공화국", "공화국"), "주권": ("주권",), "영토": ("영토", "한반도"),
          "통일": ("통일",), "평화": ("평화", "침략"), "국군": ("국군", "국방"), "조약·국제법": ("조약", "국제법"),
          "공무원": ("공무원",), "정당": ("정당",), "전통문화": ("전통", "문화"), "평등": ("평등", "차별"),
          "존엄·행복": ("존엄", "행복"), "신체의 자유": ("신체", "체포", "구속"),
          "3·1운동·4·19": ("3·1", "4·19", "임시정부")}


def one(args) -> None:
    """Child process: one engine's row as JSON on the last line of stdout."""
    s = Settings.load()
    reference = json.loads(Path(args.ref).read_text()) if args.ref else None
    row, tokens = C.measure(args.one, args.model, Registry(s.cache_dir), s.cache_dir, C.PROMPTS[:args.prompts],
                            reference, decode_tokens=args.tokens, threads=args.threads)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"row": row.as_dict(), "tokens": tokens, "rss_mib": round(rss)}, ensure_ascii=False))


def engines(args) -> None:
    import os

    cores = len(os.sched_getaffinity(0))
    configs = [("torch-fp32", cores), ("ct2-int8", cores), ("ct2-int8_float32", cores), ("ct2-float32", cores),
               ("ct2-int8", 1), ("torch-dynamic-int8", cores)]
    results, ref = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for engine, threads in configs:
            cmd = [sys.executable, __file__, "--one", engine, "--threads", str(threads), "--model", args.model,
                   "--tokens", str(args.tokens), "--prompts", str(args.prompts)] + (["--ref", ref] if ref else [])
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                print(f"  {engine} x{threads}: FAILED\n{done.stderr[-1500:]}")
                continue
            got = json.loads(done.stdout.strip().splitlines()[-1])
            if ref is None:
                ref = str(Path(tmp) / "ref.json")
                Path(ref).write_text(json.dumps(got["tokens"]))
            results.append((engine, threads, got))
    if not results or results[0][0] != "torch-fp32":
        print("  torch fp32 did not run: no ratios")
        return
    base = results[0][2]["row"]
    print(f"{args.model}, {args.prompts} prompts, {args.tokens} decode tokens, greedy; each engine in its own process")
    print(f"  {'engine':20} {'threads':>7} {'size MB':>8} {'load s':>7} {'decode t/s':>10} {'x fp32':>7} "
          f"{'TTFT 300 s':>10} {'x fp32':>7} {'agree':>6} {'peak RSS MiB':>12}")
    for engine, threads, got in results:
        r = got["row"]
        speedup, ttft_ratio = r["decode_tok_s"] / base["decode_tok_s"], r["ttft_s"] / base["ttft_s"]
        print(f"  {engine:20} {threads:7} {r['size_mb']:8.0f} {r['load_s']:7.2f} {r['decode_tok_s']:10.1f} "
              f"{speedup:7.2f} {r['ttft_s']:10.2f} {ttft_ratio:7.2f} "
              f"{r['agreement']:6.3f} {got['rss_mib']:12}")
    for engine, threads, got in results:
        print(f"    {engine} x{threads}: {got['row']['sample']!r}")
    print("  goals: decode >= 2x fp32, stretch >= 25 tokens/s; TTFT <= 0.5x fp32; peak RSS <= 1.2 GB (1229 MiB)")
    s = Settings.load()
    check = ct2_dir(s.cache_dir, args.model) / "check.json"
    if check.exists():
        print(f"  CTranslate2 int8 conversion took {json.loads(check.read_text())['convert_s']} s (once)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b", choices=["qwen2.5-0.5b", "smollm2-135m"])
    ap.add_argument("--tokens", type=int, default=64, help="greedy tokens for the decode speed")
    ap.add_argument("--prompts", type=int, default=20, help="short prompts for the greedy agreement (max 20)")
    ap.add_argument("--skip-voice", action="store_true")
    ap.add_argument("--skip-summary", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--ref", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one(args)
    engines(args)
    s = Settings.load()
    reg = Registry(s.cache_dir)
    if not args.skip_summary:
        from core.llm.ct2 import load_provider

        provider = load_provider(args.model, reg, s.cache_dir, s.llm_engine)
        law = D.constitution_only(reg)[0].text
        t0 = time.perf_counter()
        summary = summarize(provider, law[:3000], form="bullets", lang="ko").text
        named = [t for t, words in TOPICS.items() if any(w in summary for w in words)]
        print(f"  summary of the constitution's first 3,000 chars ({time.perf_counter() - t0:.1f} s, {provider.id}) "
              f"names {len(named)} of our {len(TOPICS)} topics (goal >= 3): {', '.join(named)}\n    {summary!r}")
    if args.skip_voice:
        return

    whisper = V.load_whisper(reg.path("whisper_base").parent)
    for lang, sentences, rate in (("en", EN, V.word_error_rate), ("ko", KO, V.char_error_rate)):
        audio_s = proc_s = err = 0.0
        for sentence in sentences:
            r = V.transcribe(whisper, V.speak_espeak(sentence, lang), lang)
            audio_s, proc_s, err = audio_s + r.duration, proc_s + r.seconds, err + rate(sentence, r.text)
            print(f"  [{lang}] {sentence!r} -> {r.text!r}")
        label = "WER" if lang == "en" else "CER"
        print(f"  voice {lang}: real-time factor {proc_s / audio_s:.2f}, mean {label} {err / len(sentences):.2f}")


if __name__ == "__main__":
    main()
