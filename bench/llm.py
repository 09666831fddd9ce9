"""LLM and voice benchmark (prints its figures; not a test).

Local model: first load (GGUF → fp32 conversion) vs cached load (goal cached <= 2 s), tokens/s for a 100-token
answer on this CPU, peak RSS. Voice: eSpeak NG speaks Korean and English sentences, faster-whisper transcribes
them: real-time factor and word/character error rate.
"""
import argparse
import resource
import shutil
import time

from _common import ROOT  # noqa: F401

from core import voice as V
from core.assets import Registry
from core.config import Settings
from core.llm.local import LocalProvider, converted_dir, load_local

EN = ["Today we will train a neural network on Fashion MNIST.", "The learning rate controls the size of each step.",
      "Retrieval augmented generation cites its sources."]
KO = ["오늘은 신경망을 학습합니다.", "학습률은 한 걸음의 크기를 정합니다.", "검색 증강 생성은 출처를 밝힙니다."]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b", choices=["qwen2.5-0.5b", "smollm2-135m"])
    ap.add_argument("--fresh", action="store_true", help="delete the converted copy first to time the first load")
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
    provider = LocalProvider(args.model, lm, tok)
    msgs = [{"role": "user", "content": "Explain what a neural network is, in detail."}]
    t0 = time.perf_counter()
    text = "".join(provider.stream(msgs, temperature=0, max_tokens=100))
    secs = time.perf_counter() - t0
    n = len(tok(text)["input_ids"])
    print(f"  generation: {n} tokens in {secs:.1f} s = {n / secs:.1f} tokens/s (greedy, 2 CPU cores)")
    print(f"  peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

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
