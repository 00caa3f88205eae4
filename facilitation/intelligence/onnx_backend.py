"""The sentence encoder on ONNX Runtime: the bundled model exported once, offline, and run without torch.

`EMBEDDING_BACKEND=onnx` runs the same network in fp32 (vectors equal to torch's up to rounding);
`onnx-int8` runs it with its weights dynamically quantised to 8 bits, per channel (cosine to torch's
vectors about 0.99 on average; see `benchmarks/encoders.py`). The export is made from the model folder's
own files with torch's exporter, into the data folder, the first time it is needed; a later start
reuses it after checking every file against the digests written with it, so a partial or corrupt export
(a crash mid-write, a truncated copy) is noticed and made again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TORCH_BACKEND = "torch"
ONNX_BACKEND = "onnx"
ONNX_INT8_BACKEND = "onnx-int8"
EMBEDDING_BACKENDS = (TORCH_BACKEND, ONNX_BACKEND, ONNX_INT8_BACKEND)

EXPORT_RECIPE = 2
"""The version of the way the files are made (export, fusion, quantisation), written in the manifest and
in the folder's name: bumped with any change to `_export`, so an export made the older way is redone.
1: torch's attention exported as is; 2: eager attention; the int8 model made from it fused by ONNX
Runtime's transformer optimizer, with four sensitive products kept in fp32."""

_FP32_FILE = "model.onnx"
_INT8_FILE = "model-int8.onnx"
_MANIFEST = "manifest.json"
_SENSITIVE_NODE_ENDINGS = (
    "/encoder/layer.0/output/dense/MatMul",
    "/encoder/layer.1/output/dense/MatMul",
    "/encoder/layer.2/output/dense/MatMul",
    "/encoder/layer.4/intermediate/dense/MatMul",
)
"""MiniLM's matrix products kept in fp32 in the int8 model: quantised all but one, the vectors' mean
error to torch's (1 - cosine, 600 petition titles) fell by 8% or more only when one of these was the one
left out (layer 0's FFN down-projection: 21%); the attention output projections and the last layer moved
it by 5% at most. The four together halve it (0.0072 to 0.0039) and keep 22% of the products in fp32."""
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxExportError(RuntimeError):
    """The model folder cannot be exported or run on ONNX Runtime (an unsupported pooling, say)."""


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_fingerprint(model_folder: Path) -> str:
    """What the export depends on: the model's files (names and sizes) and the export recipe."""
    digest = hashlib.sha256(f"recipe {EXPORT_RECIPE}".encode())
    for path in sorted(p for p in model_folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(model_folder)} {path.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


def _check_mean_pooling(model_folder: Path) -> None:
    """Only the mean-pooled, normalised models sentence-transformers builds (as MiniLM is) run here."""
    pooling_file = model_folder / "1_Pooling" / "config.json"
    if not pooling_file.is_file():
        raise OnnxExportError(f"{model_folder} has no pooling configuration; use EMBEDDING_BACKEND=torch")
    pooling = json.loads(pooling_file.read_text())
    modes = [key for key, on in pooling.items() if key.startswith("pooling_mode_") and on]
    if modes != ["pooling_mode_mean_tokens"]:
        raise OnnxExportError(f"{model_folder} pools with {modes}; only mean pooling runs on ONNX here")
    modules = json.loads((model_folder / "modules.json").read_text())
    if not any(module.get("type", "").endswith("Normalize") for module in modules):
        raise OnnxExportError(f"{model_folder} does not normalise its vectors; use EMBEDDING_BACKEND=torch")


def _export(model_folder: Path, target: Path) -> None:
    """Write the fp32 network and its int8 variant into `target`, then the manifest last."""
    import torch  # noqa: PLC0415 (needed only the one time the model is exported)
    from transformers import AutoModel  # noqa: PLC0415 (as above)

    class LastHiddenState(torch.nn.Module):
        """The transformer with named inputs, giving the token vectors that mean pooling reads."""

        def __init__(self, network: torch.nn.Module) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.network(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    # Eager attention exports as the plain MatMul/Softmax pattern that the optimizer below recognises;
    # torch's fused attention exports as a masked graph it cannot fuse.
    transformer = AutoModel.from_pretrained(
        str(model_folder), local_files_only=True, attn_implementation="eager"
    )
    network = LastHiddenState(transformer.eval())
    example = torch.ones((2, 8), dtype=torch.long)
    variable_axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes are about code paths not exported
        torch.onnx.export(
            network,
            (example, example, torch.zeros_like(example)),
            str(target / _FP32_FILE),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes={name: variable_axes for name in (*_INPUTS, "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )
    # The fused graph is the int8 model's source only: its Attention becomes QAttention. In fp32 the
    # traced graph ran faster than the fused one (446 against 315 titles/s, one loaded-machine run).
    fused = target / "fused.onnx"
    _fuse(target / _FP32_FILE, fused, transformer.config)
    _quantise(fused, target / _INT8_FILE)
    fused.unlink()
    for name in ("tokenizer.json", "sentence_bert_config.json"):
        shutil.copyfile(model_folder / name, target / name)
    files = sorted(path.name for path in target.iterdir())
    manifest = {"recipe": EXPORT_RECIPE, "files": {name: _file_digest(target / name) for name in files}}
    (target / _MANIFEST).write_text(json.dumps(manifest, indent=1))


def _fuse(traced: Path, fused: Path, config: Any) -> None:
    """Fuse each layer's attention, GELU and LayerNorm into ONNX Runtime's single operators, so that
    quantising turns each attention into one QAttention."""
    from onnxruntime.transformers.optimizer import optimize_model  # noqa: PLC0415 (export only)

    with contextlib.redirect_stdout(io.StringIO()):  # the optimizer prints its progress
        optimised = optimize_model(
            str(traced),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
            opt_level=0,  # the session applies its own graph optimisations at load
        )
    fused_attention = optimised.get_fused_operator_statistics().get("Attention", 0)
    if fused_attention != config.num_hidden_layers:
        log.warning("onnx export: %d of %d attention layers fused", fused_attention, config.num_hidden_layers)
    optimised.save_model_to_file(str(fused))


def _kept_in_fp32(graph: Any) -> list[str]:
    """The nodes left in fp32 by `_quantise`: those whose quantisation moved the vectors most when each
    was quantised alone (measured on petition titles; see the issue 21 note)."""
    return [node.name for node in graph.node if node.name.endswith(_SENSITIVE_NODE_ENDINGS)]


def _quantise(fp32: Path, int8: Path) -> None:
    """Dynamic int8 weights, one scale per output channel (per tensor drops the cosine to torch from
    0.98 to 0.92 at worst), except the nodes `_kept_in_fp32` names."""
    import onnx  # noqa: PLC0415 (export only)
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415 (as above)

    kept = _kept_in_fp32(onnx.load(str(fp32), load_external_data=False).graph)
    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        nodes_to_exclude=kept,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # the fused operators' outputs
    )


def _export_is_whole(folder: Path) -> bool:
    manifest_file = folder / _MANIFEST
    if not manifest_file.is_file():
        return False
    try:
        manifest = json.loads(manifest_file.read_text())
        return manifest["recipe"] == EXPORT_RECIPE and all(
            (folder / name).is_file() and _file_digest(folder / name) == digest
            for name, digest in manifest["files"].items()
        )
    except (ValueError, KeyError, TypeError):
        return False


def ensure_onnx_export(model_folder: Path, cache_root: Path) -> Path:
    """The folder holding this model's ONNX export under `cache_root`, exported now if absent or damaged.

    The export is written to a temporary folder beside it and renamed into place whole, so a crash
    mid-export leaves nothing that looks finished; two processes exporting at once both end with one
    whole export.
    """
    _check_mean_pooling(model_folder)
    folder = cache_root / f"{model_folder.name}-{_source_fingerprint(model_folder)}"
    if _export_is_whole(folder):
        return folder
    if folder.exists():
        log.warning("onnx export incomplete or damaged, exporting again folder=%s", folder)
        shutil.rmtree(folder, ignore_errors=True)
    cache_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_root))
    try:
        _export(model_folder, scratch)
        try:
            os.replace(scratch, folder)
        except OSError:  # another process renamed its own whole export into place first
            if not _export_is_whole(folder):
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log.info("onnx export written folder=%s", folder)
    return folder


class OnnxSentenceEncoder:
    """Mean-pooled, L2-normalised sentence vectors from an exported model on ONNX Runtime.

    It answers the two calls the Embedder makes of a sentence-transformers model (`encode` and
    `get_sentence_embedding_dimension`), so the encoder thread serves either backend the same way.
    """

    def __init__(self, export_folder: Path, quantised: bool) -> None:
        import onnxruntime  # noqa: PLC0415 (loaded on the encoder thread, like torch for the other backend)
        from tokenizers import Tokenizer  # noqa: PLC0415 (as above)

        config = json.loads((export_folder / "sentence_bert_config.json").read_text())
        self._tokenizer = Tokenizer.from_file(str(export_folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self._tokenizer.no_padding()  # each batch is padded to its own longest text below
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = os.cpu_count() or 1
        # Idle threads sleep instead of spinning: the encoder shares the cores with the core's worker.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model_file = export_folder / (_INT8_FILE if quantised else _FP32_FILE)
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._dimension = int(self._encode_batch(["dimension"]).shape[1])

    def get_sentence_embedding_dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_options: object) -> np.ndarray:
        """Unit vectors for `texts`, in their order; texts of similar length are run together so that
        short texts are not padded to a long one's length (sentence-transformers does the same)."""
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            vectors[chosen] = self._encode_batch([texts[index] for index in chosen])
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (tokens,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)
