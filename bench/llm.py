"""LLM and voice benchmark (prints its figures; not a test).

Local model: first load (GGUF → fp32 conversion) vs cached load (goal cached <= 2 s) and the dtype the load-time
check chose; then fp32 and bf16 side by side in the same run: greedy decode tokens/s (goal >= 20) and time to first
token for a 1,000-token prompt (goal <= 1.5 s), and whether their greedy text is the same. Summary: the map-reduce
summary of the constitution's first 3,000 characters with the chosen dtype must name >= 3 of its real topics
(our own list below). Peak RSS. Voice: eSpeak NG speaks Korean and English sentences, faster-whisper transcribes
them: real-time factor and word/character error rate.
"""
import argparse
import resource
import shutil
import time

from _common import ROOT  # noqa: F401

from core import documents as D
from core import voice as V
from core.assets import Registry
from core.config import Settings
from core.llm.local import LocalProvider, converted_dir, load_local, machine_key
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


def speed(provider, tok, long_prompt: str, new_tokens: int) -> tuple[float, float, str]:
    """(decode tokens/s, seconds to first token for the long prompt, greedy text of the short prompt)."""
    msgs = [{"role": "user", "content": "Explain what a neural network is, in detail."}]
    t0 = time.perf_counter()
    first = None
    pieces = []
    for piece in provider.stream(msgs, temperature=0, max_tokens=new_tokens):
        first = first or time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    n = len(tok("".join(pieces))["input_ids"])
    t0 = time.perf_counter()
    next(iter(provider.stream([{"role": "user", "content": long_prompt}], temperature=0, max_tokens=1)))
    return (n - 1) / max(end - first, 1e-9), time.perf_counter() - t0, "".join(pieces)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b", choices=["qwen2.5-0.5b", "smollm2-135m"])
    ap.add_argument("--fresh", action="store_true", help="delete the converted copy first to time the first load")
    ap.add_argument("--tokens", type=int, default=64, help="greedy tokens for the decode speed")
    ap.add_argument("--skip-voice", action="store_true")
    args = ap.parse_args()
    s = Settings.load()
    reg = Registry(s.cache_dir)
    if args.fresh:
        shutil.rmtree(converted_dir(s.cache_dir, args.model), ignore_errors=True)
    had_copy = converted_dir(s.cache_dir, args.model).exists()
    t0 = time.perf_counter()
    load_local(args.model, reg, s.cache_dir)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    lm, tok = load_local(args.model, reg, s.cache_dir)
    cached = time.perf_counter() - t0
    print(f"{args.model}: {'cached' if had_copy else 'first (GGUF conversion)'} load {first:.1f} s, "
          f"cached load {cached:.2f} s   (goal cached <= 2 s)")
    import json

    chosen = json.loads((s.cache_dir / "models" / "dtype_choice.json").read_text())[f"{args.model}|{machine_key()}"]
    print(f"  load-time dtype check chose {chosen['dtype']} ({chosen})")
    law = D.constitution_only(reg)[0].text
    long_prompt = tok.decode(tok(law)["input_ids"][:1000])
    texts = {}
    for dtype in ("float32", "bfloat16"):
        lm_d, _ = load_local(args.model, reg, s.cache_dir, dtype=dtype)
        tps, ttft, texts[dtype] = speed(LocalProvider(args.model, lm_d, tok), tok, long_prompt, args.tokens)
        print(f"  {dtype:8}: decode {tps:.1f} tokens/s (goal >= 20), first token for a 1,000-token prompt "
              f"{ttft:.2f} s (goal <= 1.5 s)")
        del lm_d
    print(f"  same greedy text in fp32 and bf16: {texts['float32'] == texts['bfloat16']}")
    provider = LocalProvider(args.model, lm, tok)
    t0 = time.perf_counter()
    summary = summarize(provider, law[:3000], form="bullets", lang="ko").text
    named = [t for t, words in TOPICS.items() if any(w in summary for w in words)]
    print(f"  summary of the constitution's first 3,000 chars ({time.perf_counter() - t0:.1f} s, {lm.dtype}) names "
          f"{len(named)} of our {len(TOPICS)} topics (goal >= 3): {', '.join(named)}\n    {summary!r}")
    print(f"  peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
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
