"""Converts the small sequential TF.js graph models of npm `@vladmandic/human` (antispoof, liveness) to ONNX
that Debian's OpenCV 4.6 `dnn` loads, and records what the source graph computes on a fixed input.

Usage (inside models/fetch.sh's throw-away venv, which has `onnx` and `numpy`):
    tfjs2onnx.py MODEL.json OUT.onnx EXPECT.txt

Only the ops these two graphs use are handled (Placeholder, Const, _FusedConv2D with BiasAdd[+Relu],
MaxPool, Relu, Mul/Add/AddV2 by a per-channel constant, Reshape to a flat vector, _FusedMatMul with
BiasAdd[+Relu], Sigmoid, Softmax, Identity); anything else is an error naming the op.

Layout: TF.js graphs are NHWC; the ONNX model takes NCHW (1x3xHxW, RGB in 0..1 as Human feeds it).
Convolution kernels go HWIO -> OIHW; the dense matrix after the flatten gets its rows reordered from
(h, w, c) to (c, h, w) order so no transpose is needed; Gemm uses transB=1 (OpenCV 4.6 needs it).
Weights stored float16-quantized in the .bin are widened to float32.

The same graph is also evaluated directly in numpy from the TF.js weights (an independent
implementation, NHWC) on a fixed input pattern; EXPECT.txt gets that output, and models/check.py
compares it with OpenCV's output of the converted ONNX file on the same pattern.
"""
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def load_weights(model_json):
    """name -> numpy array, from the weights manifest and its .bin shards."""
    base = os.path.dirname(model_json)
    with open(model_json) as f:
        model = json.load(f)
    out = {}
    for group in model["weightsManifest"]:
        blob = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q:
                if q["dtype"] != "float16":
                    sys.exit(f"tfjs2onnx: unsupported quantization {q['dtype']} for {w['name']}")
                a = np.frombuffer(blob, np.float16, count, off).astype(np.float32)
                off += 2 * count
            elif w["dtype"] == "float32":
                a = np.frombuffer(blob, np.float32, count, off)
                off += 4 * count
            elif w["dtype"] == "int32":
                a = np.frombuffer(blob, np.int32, count, off)
                off += 4 * count
            else:
                sys.exit(f"tfjs2onnx: unsupported dtype {w['dtype']} for {w['name']}")
            out[w["name"]] = a.reshape(shape)
        if off != len(blob):
            sys.exit(f"tfjs2onnx: {len(blob) - off} bytes left over in the weights of {model_json}")
    return model, out


def attr_s(node, key):
    v = node.get("attr", {}).get(key, {})
    if "s" in v:
        return base64.b64decode(v["s"]).decode()
    if "list" in v and "s" in v["list"]:
        return [base64.b64decode(s).decode() for s in v["list"]["s"]]
    return None


def attr_ints(node, key):
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def fixed_input(h, w):
    """The fixed test pattern, NHWC, values in 0..1 (models/check.py builds the same one)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = [0.5 + 0.5 * np.sin(0.11 * x + 0.07 * y + 1.3 * c) * np.cos(0.05 * x - 0.13 * y + c) for c in range(3)]
    return np.stack(chans, -1)[None].astype(np.float32)


def conv_nhwc(x, k, pad):
    kh, kw, _, co = k.shape
    if pad == "SAME":
        ph, pw = kh - 1, kw - 1
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    n, h, w, _ = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    out = np.zeros((n, oh, ow, co), np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nhwc,co->nhwo", x[:, i:i + oh, j:j + ow, :], k[i, j])
    return out


def reference(model, weights, x):
    """Runs the TF.js graph in numpy (NHWC), independently of the ONNX conversion."""
    vals = {}
    for node in model["modelTopology"]["node"]:
        op, name, inp = node["op"], node["name"], node.get("input", [])
        a = [vals[i] if i in vals else weights.get(i) for i in inp]
        if op == "Const":
            vals[name] = weights[name]
        elif op == "Placeholder":
            vals[name] = x.astype(np.float64)
        elif op == "_FusedConv2D":
            y = conv_nhwc(a[0], a[1], attr_s(node, "padding")) + a[2]
            if "Relu" in attr_s(node, "fused_ops"):
                y = np.maximum(y, 0)
            vals[name] = y
        elif op == "MaxPool":
            n, h, w, c = a[0].shape
            vals[name] = a[0][:, :h // 2 * 2, :w // 2 * 2, :].reshape(n, h // 2, 2, w // 2, 2, c).max((2, 4))
        elif op == "Relu":
            vals[name] = np.maximum(a[0], 0)
        elif op == "Mul":
            vals[name] = a[0] * a[1]
        elif op in ("Add", "AddV2"):
            vals[name] = a[0] + a[1]
        elif op == "Reshape":
            vals[name] = a[0].reshape([int(s) for s in a[1]])
        elif op == "_FusedMatMul":
            y = a[0] @ a[1] + a[2]
            if "Relu" in attr_s(node, "fused_ops"):
                y = np.maximum(y, 0)
            vals[name] = y
        elif op == "Sigmoid":
            vals[name] = 1 / (1 + np.exp(-a[0]))
        elif op == "Softmax":
            e = np.exp(a[0] - a[0].max(-1, keepdims=True))
            vals[name] = e / e.sum(-1, keepdims=True)
        elif op == "Identity":
            vals[name] = a[0]
        else:
            sys.exit(f"tfjs2onnx: unsupported op {op} ({name})")
        last = name
    return vals[last].reshape(-1)


def convert(model, weights):
    nodes, inits = [], []
    shapes = {}  # tensor -> NHWC shape (without batch) or (features,)
    names = {}  # TF.js tensor name -> ONNX tensor name
    out_name = None

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, np.float32), name))
        return name

    for node in model["modelTopology"]["node"]:
        op, name, inp = node["op"], node["name"], node.get("input", [])
        onnx_name = name.replace("/", "_")
        if op == "Const":
            continue
        if op == "Placeholder":
            dims = [int(d.get("size", -1)) for d in node["attr"]["shape"]["shape"]["dim"]]
            h, w, c = dims[1:]
            shapes[onnx_name] = (h, w, c)
            names[name] = onnx_name
            graph_input = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c, h, w])
            names[name] = "input"
            shapes["input"] = (h, w, c)
            continue
        src = names[inp[0]]
        shp = shapes[src]
        if op == "_FusedConv2D":
            if attr_ints(node, "strides") != [1, 1, 1, 1] or attr_ints(node, "dilations") != [1, 1, 1, 1]:
                sys.exit(f"tfjs2onnx: {name}: only stride 1, dilation 1")
            k = weights[inp[1]]
            kh, kw, _, co = k.shape
            pad = attr_s(node, "padding")
            pads = [(kh - 1) // 2, (kw - 1) // 2, kh - 1 - (kh - 1) // 2, kw - 1 - (kw - 1) // 2] if pad == "SAME" else [0, 0, 0, 0]
            wname = const(onnx_name + "_W", k.transpose(3, 2, 0, 1))
            bname = const(onnx_name + "_B", weights[inp[2]])
            fused = attr_s(node, "fused_ops")
            conv_out = onnx_name + ("_conv" if "Relu" in fused else "")
            nodes.append(helper.make_node("Conv", [src, wname, bname], [conv_out], kernel_shape=[kh, kw], pads=pads, strides=[1, 1]))
            if "Relu" in fused:
                nodes.append(helper.make_node("Relu", [conv_out], [onnx_name]))
            h, w, _ = shp
            shapes[onnx_name] = (h, w, co) if pad == "SAME" else (h - kh + 1, w - kw + 1, co)
        elif op == "MaxPool":
            if attr_ints(node, "ksize") != [1, 2, 2, 1] or attr_ints(node, "strides") != [1, 2, 2, 1] or attr_s(node, "padding") != "VALID":
                sys.exit(f"tfjs2onnx: {name}: only 2x2/2 VALID max pooling")
            nodes.append(helper.make_node("MaxPool", [src], [onnx_name], kernel_shape=[2, 2], strides=[2, 2]))
            h, w, c = shp
            shapes[onnx_name] = (h // 2, w // 2, c)
        elif op in ("Relu", "Sigmoid", "Identity"):
            nodes.append(helper.make_node(op, [src], [onnx_name]))
            shapes[onnx_name] = shp
        elif op == "Softmax":
            nodes.append(helper.make_node("Softmax", [src], [onnx_name], axis=1))
            shapes[onnx_name] = shp
        elif op in ("Mul", "Add", "AddV2"):
            v = weights[inp[1]]
            if v.shape != (shp[-1],):
                sys.exit(f"tfjs2onnx: {name}: only per-channel constants")
            cname = const(onnx_name + "_C", v.reshape(1, -1, 1, 1) if len(shp) == 3 else v.reshape(1, -1))
            nodes.append(helper.make_node("Mul" if op == "Mul" else "Add", [src, cname], [onnx_name]))
            shapes[onnx_name] = shp
        elif op == "Reshape":
            target = [int(s) for s in weights[inp[1]]]
            if len(shp) != 3 or target[1] != int(np.prod(shp)):
                sys.exit(f"tfjs2onnx: {name}: only a flatten of a feature map")
            nodes.append(helper.make_node("Flatten", [src], [onnx_name], axis=1))
            shapes[onnx_name] = (target[1],)
            shapes["flat_from:" + onnx_name] = shp
        elif op == "_FusedMatMul":
            if node.get("attr", {}).get("transpose_a", {}).get("b") or node.get("attr", {}).get("transpose_b", {}).get("b"):
                sys.exit(f"tfjs2onnx: {name}: transposed MatMul")
            m = weights[inp[1]]
            fmap = shapes.get("flat_from:" + src)
            if fmap is not None:
                h, w, c = fmap
                m = m.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1)
            wname = const(onnx_name + "_W", m.T)
            bname = const(onnx_name + "_B", weights[inp[2]])
            fused = attr_s(node, "fused_ops")
            gemm_out = onnx_name + ("_gemm" if "Relu" in fused else "")
            nodes.append(helper.make_node("Gemm", [src, wname, bname], [gemm_out], transB=1))
            if "Relu" in fused:
                nodes.append(helper.make_node("Relu", [gemm_out], [onnx_name]))
            shapes[onnx_name] = (m.shape[1],)
        else:
            sys.exit(f"tfjs2onnx: unsupported op {op} ({name})")
        names[name] = onnx_name
        out_name = onnx_name
    nodes.append(helper.make_node("Identity", [out_name], ["output"]))
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, shapes[out_name][0]])
    graph = helper.make_graph(nodes, "tfjs", [graph_input], [out], inits)
    m = helper.make_model(graph, producer_name="jiuzhu tfjs2onnx", opset_imports=[helper.make_opsetid("", 11)])
    m.ir_version = 6
    onnx.checker.check_model(m)
    return m, shapes["input"]


def main():
    src, dst, expect = sys.argv[1:4]
    model, weights = load_weights(src)
    m, (h, w, _) = convert(model, weights)
    onnx.save(m, dst)
    ref = reference(model, weights, fixed_input(h, w))
    with open(expect, "w") as f:
        f.write(" ".join(f"{v:.6f}" for v in ref) + "\n")
    print(f"tfjs2onnx: {os.path.basename(src)} -> {os.path.basename(dst)}, {h}x{w} input, reference output {ref}", file=sys.stderr)


if __name__ == "__main__":
    main()
