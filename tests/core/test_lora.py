"""LoRA with PEFT on the shipped SmolLM2-135M: real training steps on CPU with tiny settings."""
import threading

import pytest
import torch

from core import lora as L
from core.assets import Registry
from core.config import Settings
from core.errors import UserError

S = Settings.load()
REG = Registry(S.cache_dir)
TINY = L.TrainSettings(max_steps=4, lr=3e-3, batch_size=2, max_len=96, eval_every=2, seed=0)


def _english(n=12):
    return [e for e in L.shipped_dataset().examples if e.messages[0]["content"].isascii()][:n]


def _fresh(targets=("q_proj", "v_proj"), r=4):
    model, tok = L.load_base("smollm2-135m", REG, S.cache_dir)
    return L.attach_lora(model, L.LoraSettings(r=r, alpha=16, targets=targets)), tok


def _trained(tmp_path):
    """A LoRA run trained for a few steps, and the token ids of a question to compare its logits on."""
    model, tok = _fresh()
    run = L.LoraRun(model, tok, L.LoraSettings(r=4), TINY)
    list(L.train(run, _english(6), [], tmp_path))
    return model, tok, run, tok("What is LoRA?", return_tensors="pt")["input_ids"]


def _mean_loss(model, tok, examples, max_len=96):
    feats = L.tokenise(examples, tok, max_len).features
    model.eval()
    with torch.no_grad():
        losses = [model(input_ids=torch.tensor([f["input_ids"]]), labels=torch.tensor([f["labels"]])).loss.item()
                  for f in feats]
    return sum(losses) / len(losses)


def test_shipped_dataset_is_valid_and_bilingual():
    rep = L.shipped_dataset()
    assert len(rep.examples) >= 100 and rep.bad_rows == []
    assert any(not e.messages[0]["content"].isascii() for e in rep.examples)


def test_prompt_is_masked_and_truncation_counted():
    _, tok = _fresh()
    ex = _english(1)
    tokd = L.tokenise(ex, tok, 512)
    labels = tokd.features[0]["labels"]
    n_prompt = sum(1 for x in labels if x == -100)
    assert 0 < n_prompt < len(labels) and labels[:n_prompt] == [-100] * n_prompt
    answer = tok.decode([x for x in labels if x != -100])
    assert "Key point" in answer and "What is" not in answer
    assert L.tokenise(ex, tok, 40).truncated == 1


def test_few_steps_reduce_training_loss(tmp_path):
    model, tok = _fresh()
    data = _english(8)
    before = _mean_loss(model, tok, data)
    run = L.LoraRun(model, tok, L.LoraSettings(r=4), L.TrainSettings(max_steps=6, lr=3e-3, batch_size=2, max_len=96))
    metrics = list(L.train(run, data, data[:2], tmp_path))
    assert metrics[-1].done and not metrics[-1].stopped and metrics[-1].step == 6
    assert any(m.eval_loss is not None for m in metrics)  # live eval loss is reported
    assert _mean_loss(model, tok, data) < before * 0.9


def test_stop_event_ends_within_one_step(tmp_path):
    model, tok = _fresh()
    stop = threading.Event()
    run = L.LoraRun(model, tok, L.LoraSettings(r=4), L.TrainSettings(max_steps=50, lr=1e-3, batch_size=2,
                                                                      max_len=64, eval_every=100))
    seen = []
    for m in L.train(run, _english(8), [], tmp_path, stop):
        seen.append(m)
        if m.loss is not None and not stop.is_set():
            stop.set()
            first = m.step
    assert seen[-1].done and seen[-1].stopped and seen[-1].step <= first + 1


def test_saved_adapter_reloads_with_same_logits_and_merge_matches(tmp_path):
    model, tok, _, ids = _trained(tmp_path)
    with torch.no_grad():
        live = model(ids).logits
        with model.disable_adapter():
            base_only = model(ids).logits
    assert not torch.allclose(live, base_only, atol=1e-4)  # the adapter changes the output
    L.save_adapter(model, tmp_path / "adapter")
    fresh_base, _ = L.load_base("smollm2-135m", REG, S.cache_dir)
    reloaded = L.load_adapter(fresh_base, tmp_path / "adapter").eval()
    with torch.no_grad():
        assert torch.allclose(reloaded(ids).logits, live, atol=1e-5)
    merged = L.merge_and_save(model, tok, tmp_path / "merged").eval()
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, live, atol=1e-3)
    assert (tmp_path / "merged" / "config.json").exists()
    with torch.no_grad():  # merging worked on a copy: the live adapter is untouched
        assert torch.allclose(model(ids).logits, live, atol=1e-6)


def test_dataset_validation_lists_the_bad_rows():
    data = "\n".join([
        '{"instruction": "Q1", "output": "A1"}',
        '{"instruction": "Q2", "output": ""}',
        'not json at all',
        '{"output": "no instruction"}',
        '',
        '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}',
        '{"messages": [{"role": "user", "content": "hi"}]}',
        '[1, 2]',
    ]).encode()
    rep = L.parse_dataset(data, "d.jsonl")
    assert len(rep.examples) == 2
    assert [i for i, _ in rep.bad_rows] == [2, 3, 4, 7, 8]
    assert "empty output" in dict(rep.bad_rows)[2] and "JSON" in dict(rep.bad_rows)[3]


def test_csv_dataset_and_its_errors():
    rep = L.parse_dataset(b"instruction,input,output\nQ,,A\nQ2,ctx,\n", "d.csv")
    assert len(rep.examples) == 1 and rep.bad_rows[0][0] == 3
    with pytest.raises(UserError) as info:
        L.parse_dataset(b"question,answer\nq,a\n", "d.csv")
    assert info.value.key == "lora.csv_columns"
    with pytest.raises(UserError):
        L.parse_dataset(b"", "d.jsonl")


@pytest.mark.parametrize("settings,key", [
    (L.LoraSettings(r=0), "lora.bad_r"),
    (L.LoraSettings(r=4, alpha=0), "lora.bad_alpha"),
    (L.LoraSettings(r=4, targets=("nonexistent_proj",)), "lora.bad_targets"),
])
def test_absurd_settings_refused(settings, key):
    with pytest.raises(UserError) as info:
        settings.validate(["q_proj", "v_proj"])
    assert info.value.key == key


def test_non_causal_folder_refused():
    minilm_dir = REG.path("minilm").parent  # a BERT encoder, not a causal LM
    with pytest.raises(UserError) as info:
        L.load_base(str(minilm_dir), REG, S.cache_dir)
    assert info.value.key == "lora.not_causal"


def test_method_comparison_is_computed_on_the_model():
    model, _ = _fresh(targets=("q_proj", "v_proj"), r=8)
    rows = {r["method"]: r["trainable"] for r in L.method_comparison(model, L.LoraSettings(r=8))}
    assert rows["lora"] == model.get_nb_trainable_parameters()[0]
    assert rows["prompt"] == 20 * model.config.hidden_size and rows["full"] > 100 * rows["lora"]


def test_qlora_is_refused_clearly_without_cuda():
    if L.qlora_available():
        pytest.skip("this machine can run QLoRA")
    with pytest.raises(UserError) as info:
        L.load_base("smollm2-135m", REG, S.cache_dir, four_bit=True)
    assert info.value.key == "lora.no_qlora"


def test_before_is_the_base_model_after_is_the_adapter_and_the_download_reloads(tmp_path):
    import io
    import zipfile

    question = "What is LoRA?"
    plain_base, base_tok = L.load_base("smollm2-135m", REG, S.cache_dir)
    plain = L.generate(plain_base, base_tok, question, 12)
    model, tok = _fresh()
    run = L.LoraRun(model, tok, L.LoraSettings(r=4), L.TrainSettings(max_steps=6, lr=5e-3, batch_size=2,
                                                                      max_len=96, eval_every=100))
    list(L.train(run, _english(8), [], tmp_path))
    before, after = (L.generate(model, tok, question, 12, adapter=a) for a in (False, True))
    assert before == plain  # 'before' is the untouched base model, answered by an independent copy
    assert after != before  # 'after' uses the trained adapter
    archive = L.zip_folder(L.save_adapter(model, tmp_path / "adapter"))  # what the download button serves
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert {"adapter_config.json", "adapter_model.safetensors"} <= set(z.namelist())
        z.extractall(tmp_path / "downloaded")
    reloaded = L.load_adapter(plain_base, tmp_path / "downloaded")
    assert L.generate(reloaded, tok, question, 12) == after


def test_exported_peft_script_runs_and_trains_the_same_adapter_shape(tmp_path):
    import json
    import re
    import subprocess
    import sys

    from core.llm.local import converted_dir

    settings = L.LoraSettings(r=4, alpha=8, targets=("q_proj", "v_proj"))
    rows = [json.loads(line) for line in L.SHIPPED.read_text(encoding="utf-8").splitlines() if line.strip()][:4]
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    base = converted_dir(S.cache_dir, "smollm2-135m")
    L.load_base("smollm2-135m", REG, S.cache_dir)  # makes sure the fp32 copy the script reads exists
    path = tmp_path / "lora_train.py"
    path.write_text(L.script(str(base), settings, L.TrainSettings(max_steps=2, lr=1e-3, batch_size=1, max_len=64),
                             str(data)), encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    model, _ = _fresh(targets=settings.targets, r=settings.r)
    trainable = int(re.search(r"trainable params: ([\d,]+)", out.stdout).group(1).replace(",", ""))
    assert trainable == model.get_nb_trainable_parameters()[0]  # the script builds the adapter the page builds
    assert len(re.findall(r"'loss': ", out.stdout + out.stderr)) == 2  # two logged training steps
    config = json.loads((tmp_path / "lora-adapter" / "adapter_config.json").read_text())
    assert config["r"] == 4 and set(config["target_modules"]) == {"q_proj", "v_proj"}
    assert (tmp_path / "merged-model" / "config.json").exists()


def test_merge_also_writes_an_int8_copy_the_chat_page_lists(tmp_path):
    """merge → convert → serve: the merged model's CTranslate2 int8 copy is listed and generates."""
    from core.llm.base import complete
    from core.llm.ct2 import load_ct2

    model, tok = _fresh()
    run = L.LoraRun(model, tok, L.LoraSettings(r=4), TINY)
    list(L.train(run, _english(6), [], tmp_path / "train"))
    merged = tmp_path / "lora" / "20260101-000000" / "merged"
    L.merge_and_save(model, tok, merged, int8=True)
    assert L.merged_int8_models(tmp_path) == [L.int8_dir(merged)]
    provider = load_ct2("lora-20260101-000000", REG, tmp_path, folder=L.int8_dir(merged))
    try:
        assert complete(provider, [{"role": "user", "content": "What is LoRA?"}], temperature=0, max_tokens=8).strip()
    finally:
        provider.close()


def test_released_run_frees_its_model_and_loads_the_same_adapter_back(tmp_path):
    """Light mode keeps a trained run's adapter on disk, not its model: the model is freed, and Compare / Merge get
    the same model back from the base and the saved adapter."""
    import weakref

    model, tok, run, ids = _trained(tmp_path)
    with torch.no_grad():
        live = model(ids).logits
    gone = weakref.ref(model)
    del model
    path = L.release(run, tmp_path / "adapter")
    assert run.model is None and gone() is None  # nothing else (trainer, accelerator) kept it alive
    assert (path / "adapter_config.json").exists()
    with L.loaded(run, "smollm2-135m", REG, S.cache_dir) as back, torch.no_grad():
        assert torch.allclose(back(ids).logits, live, atol=1e-5)
        again = weakref.ref(back)
    del back
    assert run.model is None and again() is None  # let go after the block
    with L.loaded(run, "smollm2-135m", REG, S.cache_dir) as back:
        merged = L.merge_and_save(back, tok, tmp_path / "merged", keep=False).eval()
        with torch.no_grad():
            assert torch.allclose(merged(ids).logits, live, atol=1e-3)
    del back, merged
    with L.loaded(run, "smollm2-135m", REG, S.cache_dir) as back, torch.no_grad():  # the adapter on disk survived
        assert torch.allclose(back(ids).logits, live, atol=1e-5)


def test_light_mode_training_makes_the_same_update_as_the_whole_batch(tmp_path):
    """Light mode's micro_batch=1 (a batch of 2 as two accumulated passes) and gradient checkpointing move the
    adapter as one plain pass over both rows does (same start, dropout off; Adam magnifies float rounding where a
    gradient is near zero, so the whole update is compared, not each weight)."""
    updates, losses = [], []
    for micro, checkpointing in ((0, False), (1, False), (1, True)):
        base, tok = L.load_base("smollm2-135m", REG, S.cache_dir)
        lset = L.LoraSettings(r=4, alpha=16, dropout=0.0)
        torch.manual_seed(0)  # the same initial lora_A in every run
        model = L.attach_lora(base, lset)
        start = torch.cat([p.detach().flatten().clone() for n, p in model.named_parameters() if "lora_" in n])
        settings = L.TrainSettings(max_steps=2, lr=3e-3, batch_size=2, max_len=96, eval_every=2, seed=0,
                                   micro_batch=micro, checkpointing=checkpointing)
        assert settings.per_step() == ((2, 1) if micro == 0 else (1, 2))
        metrics = list(L.train(L.LoraRun(model, tok, lset, settings), _english(6), [], tmp_path / str(len(losses))))
        end = torch.cat([p.detach().flatten() for n, p in model.named_parameters() if "lora_" in n])
        updates.append(end - start)
        losses.append([m.loss for m in metrics if m.loss is not None])
    assert updates[0].norm() > 1e-3  # training moved the adapter
    for update, loss in zip(updates[1:], losses[1:]):
        assert (update - updates[0]).norm() / updates[0].norm() < 0.02, (update - updates[0]).norm()
        assert loss == pytest.approx(losses[0], rel=1e-4)  # the same loss at every step
