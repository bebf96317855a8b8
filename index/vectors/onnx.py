"""MiniLM through ONNX Runtime: the packaged weights exported once into a cache folder, then run
with no torch in the process.

The export puts the whole sentence-transformers pipeline into one graph (transformer, mean
pooling over the attention mask, L2 normalisation), so its fp32 vectors are torch's within
~3e-7 (tests/test_onnx.py): the same model, recorded under the same name, and an archive made
by either encoder is searched by the other. The int8 file (dynamic quantisation, per-channel
weights) makes other vectors (cosine ~0.99 to fp32), so it is recorded as another model,
`<model>-int8` (index/vectors/encoders.py says which one a desk uses).

The export needs torch, transformers and onnx; it runs in a child process, because what it
imports (~400 MB resident) would otherwise stay in an ingest that never needs it again. At run
time only onnxruntime, tokenizers and numpy are used.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from newsdesk.errors import EmbeddingError
from newsdesk.index.vectors.embedder import model_path
from newsdesk.index.vectors.malloc import large_allocations_mapped
from newsdesk.ingest.store.files import atomic_path

INT8 = "-int8"  # the suffix of the int8 model's name, as the archive records it
OUTPUT = "sentence_embedding"  # the graph's output ("embedding" breaks the dynamo exporter)
# Bumped when the export changes what it writes, so an old cached file is not used.
EXPORT_VERSION = 1


def int8_name(model: str) -> str:
    """What the archive records for vectors made by the int8 model."""
    return f"{model}{INT8}"


def onnx_supported(folder: Path) -> bool:
    """Whether the export reproduces the model: a transformer with mean pooling (what the
    graph computes). Other sentence-transformers models stay on torch."""
    try:
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    others = ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens")
    return bool(pooling.get("pooling_mode_mean_tokens")) and not any(
        pooling.get(f"pooling_mode_{mode}") for mode in others
    )


def max_length(folder: Path) -> int:
    """The word pieces the model reads (longer texts are cut), as sentence-transformers does."""
    try:
        config = json.loads((folder / "sentence_bert_config.json").read_text())
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 512


def _fingerprint(folder: Path) -> str:
    """Names the exported file after the weights it came from: another version of the model
    package (size or time of its weights file) gets a file of its own."""
    weights = [p for p in sorted(folder.glob("*")) if p.suffix in (".safetensors", ".bin")]
    stamp = [EXPORT_VERSION, str(folder.resolve())]
    for path in weights:
        st = path.stat()
        stamp += [path.name, st.st_size, st.st_mtime_ns]
    return hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:12]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One exporter at a time (the bot and an ingest may both start cold)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def onnx_file(folder: Path, cache: Path, *, int8: bool) -> Path:
    """The model's ONNX file in `cache`, exported (and quantised) first if it is not there."""
    cache = cache.expanduser()
    # A packaged model's folder is <package>/model: the package names it.
    named = folder.parent.name if folder.name == "model" else folder.name
    stem = f"{cache / named}-{_fingerprint(folder)}"
    fp32, wanted = Path(f"{stem}.onnx"), Path(f"{stem}{INT8 if int8 else ''}.onnx")
    if wanted.exists():
        return wanted
    with _locked(Path(f"{stem}.lock")):
        if wanted.exists():  # another process exported it while we waited
            return wanted
        command = [sys.executable, "-m", "newsdesk.index.vectors.onnx", str(folder), str(fp32)]
        if int8:
            command += ["--int8", str(wanted)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not wanted.exists():
            lines = (done.stderr or done.stdout or "no output").strip().splitlines()
            raise EmbeddingError(
                f"exporting {folder} to ONNX failed ({lines[-1][:200]}); set "
                "NEWSDESK_ENCODER=torch to embed with torch instead"
            )
    return wanted


class OnnxEmbedder:
    """A mean-pooled sentence-transformers model as an ONNX graph, run by ONNX Runtime on the
    CPU with a fixed number of threads; the fast tokenizer of the model's folder."""

    def __init__(
        self,
        name: str,
        *,
        int8: bool = False,
        cache: Path = Path("~/.cache/newsdesk"),
        threads: int = 2,
        batch_size: int = 32,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = model_path(name)
        if not onnx_supported(folder):
            raise EmbeddingError(
                f"the model {name!r} is not mean-pooled, which the ONNX export assumes; set "
                "NEWSDESK_ENCODER=torch to embed with torch"
            )
        self.name = int8_name(name) if int8 else name
        self.batch_size = batch_size
        self.path = onnx_file(folder, cache, int8=int8)
        # As for torch (embedder.py): a call's big buffers get pages of their own, given
        # back when freed. ONNX Runtime's arena would keep the largest call's buffers for the
        # process's life; without it each call allocates afresh, and the mapped blocks go.
        large_allocations_mapped()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 3  # its warnings about unused initializers are noise here
        self.session = ort.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        tokenizer = folder / "tokenizer.json"
        # One tokenizer cuts and pads for the model; the other counts a text's word pieces,
        # whole, as chunking needs them (sentence-transformers' `tokenize`).
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=max_length(folder))
        pad = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=pad or 0, pad_token="[PAD]")
        self.counter = Tokenizer.from_file(str(tokenizer))
        self.counter.no_truncation()
        self.counter.no_padding()
        # Fast tokenizers refuse ("Already borrowed") use from two threads at once, and on 2
        # cores two model calls at once gain nothing: one at a time, as with torch.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                encoded = self.tokenizer.encode_batch(list(texts[start : start + self.batch_size]))
                ids = np.array([e.ids for e in encoded], dtype=np.int64)
                feed = {
                    "input_ids": ids,
                    "attention_mask": np.array([e.attention_mask for e in encoded], np.int64),
                    "token_type_ids": np.zeros_like(ids),
                }
                run = self.session.run(
                    [OUTPUT], {k: v for k, v in feed.items() if k in self.inputs}
                )
                out.append(np.asarray(run[0], dtype=np.float32))
        return np.ascontiguousarray(np.concatenate(out))

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self.counter.encode(text, add_special_tokens=False).ids)


# -------------------------------------------------------------- the export (a child process)


def export(folder: Path, dest: Path) -> None:
    """Write the model's fp32 graph: transformer, mean pooling, L2 normalisation."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    model = Pooled(AutoModel.from_pretrained(str(folder)).eval()).eval()
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]])
    axes = {0: "batch", 1: "seq"}
    with atomic_path(dest) as tmp, torch.no_grad():
        # The TorchScript exporter: the dynamo one needs onnxscript as well, for the same graph.
        torch.onnx.export(
            model,
            (ids, (ids != 0).long(), torch.zeros_like(ids)),
            str(tmp),
            dynamo=False,
            opset_version=17,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=[OUTPUT],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                OUTPUT: {0: "batch"},
            },
        )


def quantize(source: Path, dest: Path) -> None:
    """8-bit weights, one scale per output channel: the plain per-tensor setting lost too much
    (cosine to fp32 down to 0.89 on 20 test sentences, 0.98 per channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with atomic_path(dest) as tmp:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Export a sentence-transformers model to ONNX")
    parser.add_argument("folder", type=Path)
    parser.add_argument("fp32", type=Path)
    parser.add_argument("--int8", type=Path, help="also write the int8 model here")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
    if not args.fp32.exists():
        export(args.folder, args.fp32)
    if args.int8:
        quantize(args.fp32, args.int8)


if __name__ == "__main__":
    main()
