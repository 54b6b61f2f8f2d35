"""The ONNX graph of a BERT sentence encoder (all-MiniLM-L6-v2's architecture), written with ``onnx.helper`` from
the weights of a ``model.safetensors`` file: no PyTorch, no exporter, no ONNX file from elsewhere to trust.

Inputs ``input_ids`` and ``attention_mask`` (int64, ``[batch, tokens]``); output ``sentence_embedding`` (float32,
``[batch, hidden]``): the mean of the last layer's token states over the mask, divided by its L2 norm, as
sentence-transformers' Transformer → Pooling(mean) → Normalize modules compute it. Token types are all 0 (single
sentences), so the token-type embedding is folded into the position embeddings.

Imported only when the model loads (it imports ``onnx`` and NumPy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization
GRAPH_VERSION = 1  # bump when the graph below changes (part of the model id: vectors made by another graph differ)


@dataclass(frozen=True)
class BertShape:
    layers: int
    hidden: int
    heads: int
    layer_norm_eps: float = 1e-12


@dataclass(frozen=True)
class Stored:
    """Where a float32 tensor lies in the weights file: its shape, and its bytes' offset and length."""

    shape: tuple[int, ...]
    offset: int
    length: int


def build(stored: dict[str, Stored], shape: BertShape, file_name: str) -> onnx.ModelProto:
    """The encoder as an ONNX model whose weights stay in the weights file: every weight is an external initializer
    naming its byte range in ``file_name`` (a safetensors file's data is raw little-endian float32, as ONNX's
    external data is), so ONNX Runtime maps it from the file instead of a copy being made here. ``stored`` holds
    the file's tensors under Hugging Face's BERT names. Linear layers keep torch's [out, in] weights behind a
    Transpose, which ONNX Runtime folds once at load."""
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []
    counter = iter(range(1_000_000))

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def w(name: str) -> str:
        if not any(tensor.name == name for tensor in inits):
            where = stored[name]
            tensor = onnx.TensorProto(name=name, data_type=TensorProto.FLOAT, dims=where.shape)
            tensor.data_location = TensorProto.EXTERNAL
            for key, value in (("location", file_name), ("offset", str(where.offset)), ("length", str(where.length))):
                tensor.external_data.add(key=key, value=value)
            inits.append(tensor)
        return name

    def node(op: str, inputs: list[str], **attrs) -> str:
        out = f"{op.lower()}_{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, prefix: str) -> str:
        # torch's Linear keeps weight as [out, in]; MatMul wants [in, out].
        transposed = node("Transpose", [w(f"{prefix}.weight")], perm=[1, 0])
        return node("Add", [node("MatMul", [x, transposed]), w(f"{prefix}.bias")])

    def layer_norm(x: str, prefix: str) -> str:
        return node(
            "LayerNormalization", [x, w(f"{prefix}.weight"), w(f"{prefix}.bias")], axis=-1, epsilon=shape.layer_norm_eps
        )

    head_size = shape.hidden // shape.heads
    i64 = lambda name, values: const(name, np.asarray(values, dtype=np.int64))  # noqa: E731

    # Embeddings: words + (positions + token type 0), then LayerNorm.
    words = node("Gather", [w("embeddings.word_embeddings.weight"), "input_ids"], axis=0)
    type_0 = node("Gather", [w("embeddings.token_type_embeddings.weight"), i64("zero", 0)], axis=0)
    positions = node("Add", [w("embeddings.position_embeddings.weight"), type_0])  # folded at load
    length = node("Shape", ["input_ids"], start=1, end=2)  # [T]
    position_rows = node("Slice", [positions, i64("zero_1d", [0]), length, i64("axes0", [0])])
    x = layer_norm(node("Add", [words, position_rows]), "embeddings.LayerNorm")

    # Attention mask → an additive bias [B, 1, 1, T]: 0 where attended, the float32 minimum where padded (as HF).
    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    inverted = node("Sub", [const("one_f", np.array(1.0, dtype=np.float32)), mask])
    bias = node("Mul", [inverted, const("mask_min", np.array(np.finfo(np.float32).min, dtype=np.float32))])
    bias = node("Unsqueeze", [bias, i64("axes12", [1, 2])])

    split_heads = i64("split_heads", [0, 0, shape.heads, head_size])
    merge_heads = i64("merge_heads", [0, 0, shape.hidden])
    scale = const("attention_scale", np.array(1.0 / np.sqrt(head_size), dtype=np.float32))
    for n in range(shape.layers):
        p = f"encoder.layer.{n}"
        q = node(
            "Transpose", [node("Reshape", [linear(x, f"{p}.attention.self.query"), split_heads])], perm=[0, 2, 1, 3]
        )
        k = node("Transpose", [node("Reshape", [linear(x, f"{p}.attention.self.key"), split_heads])], perm=[0, 2, 3, 1])
        v = node(
            "Transpose", [node("Reshape", [linear(x, f"{p}.attention.self.value"), split_heads])], perm=[0, 2, 1, 3]
        )
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), bias])
        context = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        context = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        attended = node("Add", [linear(context, f"{p}.attention.output.dense"), x])
        x = layer_norm(attended, f"{p}.attention.output.LayerNorm")
        inner = linear(x, f"{p}.intermediate.dense")
        # GELU, the exact (erf) form BERT uses: x · ½ · (1 + erf(x / √2)). ONNX Runtime fuses the pattern.
        erf = node("Erf", [node("Div", [inner, const(f"sqrt2_{n}", np.array(np.sqrt(2.0), dtype=np.float32))])])
        gelu = node(
            "Mul",
            [
                node("Mul", [inner, node("Add", [erf, const(f"one_g{n}", np.array(1.0, dtype=np.float32))])]),
                const(f"half_{n}", np.array(0.5, dtype=np.float32)),
            ],
        )
        x = layer_norm(node("Add", [linear(gelu, f"{p}.output.dense"), x]), f"{p}.output.LayerNorm")

    # Mean pooling over the attended tokens, then L2 normalisation.
    mask3 = node("Unsqueeze", [mask, i64("axes2", [2])])  # [B, T, 1]
    summed = node("ReduceSum", [node("Mul", [x, mask3]), i64("axes1", [1])], keepdims=0)  # [B, H]
    counts = node("ReduceSum", [mask3, i64("axes1b", [1])], keepdims=0)  # [B, 1]
    counts = node("Max", [counts, const("min_count", np.array(1e-9, dtype=np.float32))])
    mean = node("Div", [summed, counts])
    norm = node("ReduceL2", [mean], axes=[-1], keepdims=1)  # axes an attribute until opset 18
    norm = node("Max", [norm, const("min_norm", np.array(1e-12, dtype=np.float32))])
    nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))

    graph = helper.make_graph(
        nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", shape.hidden])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="voicebot")
    model.ir_version = 8
    return model
