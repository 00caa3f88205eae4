"""EMBEDDING_BACKEND: the bundled model exported to ONNX once, reused, redone when damaged, and its vectors
kept apart from torch's so that switching re-embeds stored ideas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from bot.settings import SettingsError, load_settings
from bot.testing.harness import Harness
from facilitation.intelligence import onnx_backend
from facilitation.intelligence.embeddings import Embedder, resolve_model_folder
from facilitation.intelligence.onnx_backend import OnnxSentenceEncoder, ensure_onnx_export
from storage.models import IdeaEmbedding
from tests.intake.test_similar_ideas import BENCHES, BENCHES_AGAIN, TREES, parks_with_benches, wait_for

TEXTS = [BENCHES, BENCHES_AGAIN, TREES, "Plus de bancs à l'ombre près de l'aire de jeux 🌳", "Lamps"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export of the bundled model for the whole module (it takes a few seconds)."""
    return ensure_onnx_export(resolve_model_folder("all-MiniLM-L6-v2"), tmp_path_factory.mktemp("models"))


def test_an_unknown_backend_is_refused_naming_the_variable(tmp_path: Path):
    with pytest.raises(SettingsError, match="EMBEDDING_BACKEND: 'tensorflow' is not one of torch, onnx"):
        load_settings(data_dir=tmp_path, embedding_backend="tensorflow")


def test_each_backend_stores_its_vectors_under_its_own_name(tmp_path: Path):
    names = {
        backend: load_settings(data_dir=tmp_path, embedding_backend=backend).new_embedder().name
        for backend in ("torch", "onnx", "onnx-int8")
    }
    assert names["torch"] == "all-MiniLM-L6-v2 (no-hashtags)"  # torch's vectors keep their old name
    assert len(set(names.values())) == 3 and names["onnx-int8"].endswith("onnx-int8)")


@pytest.mark.embeddings
def test_onnx_vectors_match_torch_and_int8_stays_close(exported: Path, embedder):
    reference = embedder.encode(TEXTS)
    fp32 = OnnxSentenceEncoder(exported, quantised=False).encode(TEXTS)
    int8 = OnnxSentenceEncoder(exported, quantised=True).encode(TEXTS)
    assert fp32.shape == reference.shape == int8.shape
    assert np.allclose(np.linalg.norm(int8, axis=1), 1, atol=1e-5)
    assert (fp32 * reference).sum(axis=1).min() > 0.9999
    assert (int8 * reference).sum(axis=1).min() > 0.95


def test_a_second_start_reuses_the_export(exported: Path, monkeypatch: pytest.MonkeyPatch):
    def no_export(*_args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_backend, "_export", no_export)
    assert ensure_onnx_export(resolve_model_folder("all-MiniLM-L6-v2"), exported.parent) == exported


def test_an_export_made_by_an_older_recipe_is_made_again(exported: Path, monkeypatch: pytest.MonkeyPatch):
    made: list[Path] = []

    def recording_export(_model_folder: Path, target: Path) -> None:
        made.append(target)
        raise OSError("stopped before exporting")

    monkeypatch.setattr(onnx_backend, "EXPORT_RECIPE", onnx_backend.EXPORT_RECIPE + 1)
    monkeypatch.setattr(onnx_backend, "_export", recording_export)
    assert not onnx_backend._export_is_whole(exported)  # its manifest names the older recipe
    with pytest.raises(OSError, match="stopped before exporting"):
        ensure_onnx_export(resolve_model_folder("all-MiniLM-L6-v2"), exported.parent)
    assert len(made) == 1


def test_the_int8_model_runs_each_layers_attention_as_one_fused_operator_and_keeps_four_products_in_fp32(
    exported: Path,
):
    int8 = onnx.load(str(exported / "model-int8.onnx"), load_external_data=False)
    assert [node.op_type for node in int8.graph.node].count("QAttention") == 6  # MiniLM-L6: six layers
    kept = sorted(node.name.split("/encoder/")[1] for node in int8.graph.node if node.op_type == "MatMul")
    assert kept == [
        "layer.0/output/dense/MatMul",
        "layer.1/output/dense/MatMul",
        "layer.2/output/dense/MatMul",
        "layer.4/intermediate/dense/MatMul",
    ]


def test_a_truncated_export_is_noticed_and_made_again(tmp_path: Path, exported: Path):
    damaged_root = tmp_path / "models"
    damaged = damaged_root / exported.name
    damaged_root.mkdir()
    onnx_backend.shutil.copytree(exported, damaged)
    model_file = damaged / "model-int8.onnx"
    model_file.write_bytes(model_file.read_bytes()[:1000])  # a copy cut short

    again = ensure_onnx_export(resolve_model_folder("all-MiniLM-L6-v2"), damaged_root)
    assert again == damaged and model_file.stat().st_size == (exported / "model-int8.onnx").stat().st_size
    assert OnnxSentenceEncoder(again, quantised=True).encode(["Lamps"]).shape == (1, 384)
    assert [path.name for path in damaged_root.iterdir()] == [exported.name]  # no scratch folder left


@pytest.mark.embeddings
async def test_switching_to_onnx_int8_embeds_stored_ideas_again(
    database_url: str, tmp_path: Path, embedder, exported: Path
):
    async with Harness.running(database_url, tmp_path, embedder=embedder) as harness:
        await parks_with_benches(harness)
        await harness.say(f"/idea {TREES}", user="bob")
    quantised = Embedder(backend="onnx-int8", export_folder=exported.parent)
    try:
        async with Harness.running(database_url, tmp_path, embedder=quantised) as harness:
            await wait_for(lambda: len(harness.rows(IdeaEmbedding)) == 4)
            models = sorted(row.model for row in harness.rows(IdeaEmbedding))
            assert models == [embedder.name] * 2 + [quantised.name] * 2
            [reply] = await harness.say(f"/idea {BENCHES_AGAIN}", user="carol")
            assert "Close ideas already shared in #parks:" in reply.text and BENCHES in reply.text
    finally:
        quantised.close()
