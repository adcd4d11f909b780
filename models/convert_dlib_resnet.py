#!/usr/bin/env python3
"""Convert dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1.dat) to ONNX.

dlib writes a network with its own binary serialisation (dlib/serialize.h and
dlib/dnn/{core,layers,input,loss,tensor}.h). This reader follows that format for the one
network type the file holds, `anet_type` of dlib's dnn_face_recognition_ex.cpp:

    loss_metric<fc_no_bias<128, avg_pool_everything<
      alevel0<alevel1<alevel2<alevel3<alevel4<
      max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>>>>>>>

    ares<N,S>      = relu<add_prev1<block<N,1,tag1<S>>>>
    ares_down<N,S> = relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,2,tag1<S>>>>>>>
    block<N,st,S>  = affine<con<N,3,3,1,1,relu<affine<con<N,3,3,st,st,S>>>>>>
    alevel4 = 3 x ares<32>;  alevel3 = ares_down<64> + 3 x ares<64>
    alevel2 = ares_down<128> + 2 x ares<128>;  alevel1 = ares_down<256> + 2 x ares<256>
    alevel0 = ares_down<256>

The reader is driven by that structure and checks every layer's type tag, hyper-parameters
and tensor shapes against it, so any other file fails with a message saying where.

Serialisation facts used (dlib/serialize.h):
  * integers: one control byte (bit 7 = negative, low 4 bits = byte count) then the
    magnitude, little endian;  bool: the character '0' or '1';
  * std::string: integer length then the bytes;  float/double: mantissa and exponent as two
    integers (value = mantissa * 2**exponent);
  * tensor: version, num_samples, k, nr, nc, then the values (version 2: raw little-endian
    float32; version 1: dlib floats);  alias_tensor: version 1 and the four dimensions;
  * add_layer writes version, its subnetwork, its layer details, then bookkeeping
    (3 bools and cached tensors); the layer at the input writes the input layer instead of
    a subnetwork; tag and skip layers write version and subnetwork only; the loss layer
    writes version, loss details, then the subnetwork.

Semantics mapped to ONNX:
  * input_rgb_image_sized: (pixel - avg) / 256 per channel, input tensor RGB 0..255 NCHW;
  * con: cross-correlation with the stored padding; affine (CONV mode) y = gamma*x + beta is
    folded into the convolution below it;
  * add_prev: dlib's tt::add sizes the output to the larger of the two inputs in every
    dimension and treats missing values as 0, so the smaller operand is zero-padded at the
    end (channels, bottom rows, right columns);
  * avg_pool_everything: global average;  fc_no_bias: x @ W with W stored (inputs, outputs).

Usage: convert_dlib_resnet.py IN.dat OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class DlibReader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def fail(self, what):
        raise ValueError(f"dlib model: {what} at byte {self.pos} of {len(self.data)}")

    def byte(self):
        if self.pos >= len(self.data):
            self.fail("unexpected end of file")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def int(self):
        ctrl = self.byte()
        size = ctrl & 0x0F
        if ctrl & 0x70 or size > 8:
            self.fail(f"bad integer control byte 0x{ctrl:02x}")
        raw = self.data[self.pos:self.pos + size]
        if len(raw) != size:
            self.fail("unexpected end of file in an integer")
        self.pos += size
        value = int.from_bytes(raw, "little")
        return -value if ctrl & 0x80 else value

    def bool(self):
        ch = self.byte()
        if ch not in (ord("0"), ord("1")):
            self.fail(f"bad bool byte 0x{ch:02x}")
        return ch == ord("1")

    def string(self):
        n = self.int()
        if n < 0 or n > 256:
            self.fail(f"implausible string length {n}")
        s = self.data[self.pos:self.pos + n].decode("ascii", errors="replace")
        self.pos += n
        return s

    def float(self):
        mantissa = self.int()
        exponent = self.int()
        special = {32000: float("inf"), 32001: float("-inf"), 32002: float("nan")}
        if exponent in special:
            return special[exponent]
        return float(mantissa) * 2.0 ** exponent

    def tensor(self):
        version = self.int()
        dims = tuple(self.int() for _ in range(4))
        count = int(np.prod(dims))
        if version == 2:
            raw = self.data[self.pos:self.pos + 4 * count]
            if len(raw) != 4 * count:
                self.fail("unexpected end of file in a tensor")
            self.pos += 4 * count
            values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif version == 1:
            values = np.array([self.float() for _ in range(count)], dtype=np.float32)
        else:
            self.fail(f"unknown tensor version {version}")
        return values.reshape(dims)

    def alias(self):
        if self.int() != 1:
            self.fail("unknown alias_tensor version")
        return tuple(self.int() for _ in range(4))

    def expect(self, tag):
        got = self.string()
        if got != tag:
            self.fail(f"expected layer '{tag}', found '{got}'")

    def version(self, allowed, what):
        v = self.int()
        if v not in allowed:
            self.fail(f"{what} version {v}, expected one of {allowed}")
        return v


# ---- network structure: nested tuples, outermost first -------------------------------
def con(n, k, stride, sub):
    return ("con", dict(filters=n, size=k, stride=stride), sub)


def affine(sub):
    return ("affine", {}, sub)


def relu(sub):
    return ("relu", {}, sub)


def block(n, stride, sub):
    return affine(con(n, 3, 1, relu(affine(con(n, 3, stride, sub)))))


def ares(n, sub):
    return relu(("add_prev", dict(tag=1), block(n, 1, ("tag", 1, sub))))


def ares_down(n, sub):
    inner = ("tag", 2, block(n, 2, ("tag", 1, sub)))
    return relu(("add_prev", dict(tag=2), ("avg_pool", dict(size=2, stride=2), ("skip", 1, inner))))


def anet_type():
    net = con(32, 7, 2, ("input", 150))
    net = ("max_pool", dict(size=3, stride=2), relu(affine(net)))
    for _ in range(3):
        net = ares(32, net)  # alevel4
    for n, extra in ((64, 3), (128, 2), (256, 2), (256, 0)):  # alevel3..alevel0
        net = ares_down(n, net)
        for _ in range(extra):
            net = ares(n, net)
    net = ("avg_pool", dict(size=0, stride=1), net)  # avg_pool_everything
    net = ("fc", dict(outputs=128), net)
    return ("loss", net)


# ---- reading --------------------------------------------------------------------------
def read_net(r: DlibReader, node):
    kind = node[0]
    if kind == "loss":
        r.version((1,), "add_loss_layer")
        r.expect("loss_metric_2")
        margin, dist_thresh = r.float(), r.float()
        return ("loss", dict(margin=margin, dist_thresh=dist_thresh), read_net(r, node[1]))
    if kind in ("tag", "skip"):
        r.version((1,), f"add_{kind}_layer")
        return (kind, node[1], read_net(r, node[2]))
    if kind == "input":
        raise AssertionError("input is read by the layer above it")
    _, hyper, sub = node
    if sub[0] == "input":
        v = r.version((2, 3), "add_layer (on the input)")
        r.expect("input_rgb_image_sized")
        avg = (r.float(), r.float(), r.float())
        size = (r.int(), r.int())
        if size != (sub[1], sub[1]):
            r.fail(f"input size {size}, expected {sub[1]}")
        child = ("input", dict(avg=avg, size=size[0]))
    else:
        v = r.version((1, 2), "add_layer")
        child = read_net(r, sub)
    params = read_details(r, kind, hyper)
    for _ in range(3):
        r.bool()
    r.tensor()  # x_grad
    r.tensor()  # cached_output
    if sub[0] == "input":
        r.tensor()  # grad_final
        if v >= 3:
            r.int()  # sample expansion factor
    elif v == 2:
        r.tensor()  # params_grad
    return (kind, params, child)


def read_details(r: DlibReader, kind, hyper):
    if kind == "con":
        r.expect("con_4")
        params = r.tensor()
        n, nr, nc, sy, sx, py, px = (r.int() for _ in range(7))
        fshape, bshape = r.alias(), r.alias()
        for _ in range(4):
            r.float()  # learning-rate / weight-decay multipliers
        want = (hyper["filters"], hyper["size"], hyper["size"], hyper["stride"], hyper["stride"])
        if (n, nr, nc, sy, sx) != want:
            r.fail(f"con {(n, nr, nc, sy, sx)}, expected {want}")
        flat = params.reshape(-1)
        fcount = int(np.prod(fshape))
        filters = flat[:fcount].reshape(fshape)
        biases = flat[fcount:fcount + int(np.prod(bshape))].reshape(-1)
        if biases.size != n:
            r.fail(f"con bias count {biases.size}, expected {n}")
        return dict(weight=filters, bias=biases, stride=sy, pad=(py, px))
    if kind == "affine":
        r.expect("affine_")
        params = r.tensor().reshape(-1)
        gshape, bshape = r.alias(), r.alias()
        mode = r.int()
        if mode != 0:  # CONV_MODE: one gamma/beta per channel
            r.fail(f"affine mode {mode}, expected CONV_MODE (0)")
        g = int(np.prod(gshape))
        return dict(gamma=params[:g], beta=params[g:g + int(np.prod(bshape))])
    if kind == "relu":
        r.expect("relu_")
        return {}
    if kind == "add_prev":
        r.expect("add_prev_")
        return dict(tag=hyper["tag"])
    if kind in ("max_pool", "avg_pool"):
        r.expect(f"{kind}_2")
        nr, nc, sy, sx, py, px = (r.int() for _ in range(6))
        if (nr, nc, sy, sx) != (hyper["size"],) * 2 + (hyper["stride"],) * 2:
            r.fail(f"{kind} {(nr, nc, sy, sx)}, expected {hyper}")
        return dict(size=nr, stride=sy, pad=(py, px))
    if kind == "fc":
        r.expect("fc_2")
        outputs, inputs = r.int(), r.int()
        params = r.tensor().reshape(-1)
        wshape, _bshape = r.alias(), r.alias()
        bias_mode = r.int()
        for _ in range(4):
            r.float()
        if outputs != hyper["outputs"] or bias_mode != 1:  # FC_NO_BIAS (FC_HAS_BIAS is 0)
            r.fail(f"fc outputs {outputs} bias mode {bias_mode}")
        w = params[:inputs * outputs].reshape(wshape[0], wshape[1])
        return dict(weight=w)
    raise AssertionError(kind)


# ---- ONNX -----------------------------------------------------------------------------
class Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, base, array):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def op(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def conv_out(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def emit(g: Graph, node, tags):
    """Returns (tensor name, (channels, height, width)) of node's output."""
    kind, params, child = node if len(node) == 3 else (*node, None)
    if kind == "loss":
        return emit(g, child, tags)
    if kind == "input":
        avg = np.array(params["avg"], dtype=np.float32).reshape(1, 3, 1, 1)
        x = g.op("Sub", ["chip", g.const("mean", avg)])
        x = g.op("Mul", [x, g.const("scale", np.array(1 / 256, dtype=np.float32))])
        return x, (3, params["size"], params["size"])
    if kind == "tag":
        out = emit(g, child, tags)
        tags[params] = out
        return out
    if kind == "skip":
        emit(g, child, tags)
        return tags[params]
    if kind == "affine" and child[0] == "con":
        # fold y = gamma * conv(x) + beta into the convolution
        _, cp, sub = child
        x, (c, h, w) = emit(g, sub, tags)
        gamma, beta = params["gamma"], params["beta"]
        weight = cp["weight"] * gamma.reshape(-1, 1, 1, 1)
        bias = cp["bias"] * gamma + beta
        return conv(g, x, (c, h, w), weight, bias, cp)
    x, shape = emit(g, child, tags)
    c, h, w = shape
    if kind == "con":
        return conv(g, x, shape, params["weight"], params["bias"], params)
    if kind == "affine":
        gamma = g.const("gamma", params["gamma"].reshape(1, -1, 1, 1))
        beta = g.const("beta", params["beta"].reshape(1, -1, 1, 1))
        return g.op("Add", [g.op("Mul", [x, gamma]), beta]), shape
    if kind == "relu":
        return g.op("Relu", [x]), shape
    if kind in ("max_pool", "avg_pool"):
        k, s, (py, px) = params["size"], params["stride"], params["pad"]
        if k == 0:
            return g.op("GlobalAveragePool", [x]), (c, 1, 1)
        if (py, px) != (0, 0):
            raise ValueError("padded pooling is not used by this network")
        op = "MaxPool" if kind == "max_pool" else "AveragePool"
        y = g.op(op, [x], kernel_shape=[k, k], strides=[s, s])
        return y, (c, conv_out(h, k, s, 0), conv_out(w, k, s, 0))
    if kind == "add_prev":
        other, oshape = tags[params["tag"]]
        target = tuple(max(a, b) for a, b in zip(shape, oshape))
        a = pad_to(g, x, shape, target)
        b = pad_to(g, other, oshape, target)
        return g.op("Add", [a, b]), target
    if kind == "fc":
        flat = g.op("Flatten", [x], axis=1)
        if params["weight"].shape[0] != c * h * w:
            raise ValueError("fc input size does not match")
        g.nodes.append(helper.make_node("MatMul", [flat, g.const("fc_w", params["weight"])],
                                        ["descriptor"]))
        return "descriptor", (params["weight"].shape[1],)
    raise AssertionError(kind)


def conv(g, x, shape, weight, bias, cp):
    c, h, w = shape
    n, ci, kh, kw = weight.shape
    if ci != c:
        raise ValueError(f"conv expects {ci} channels, gets {c}")
    s, (py, px) = cp["stride"], cp["pad"]
    y = g.op("Conv", [x, g.const("w", weight.astype(np.float32)), g.const("b", bias.astype(np.float32))],
             kernel_shape=[kh, kw], strides=[s, s], pads=[py, px, py, px])
    return y, (n, conv_out(h, kh, s, py), conv_out(w, kw, s, px))


def pad_to(g, x, shape, target):
    if shape == target:
        return x
    extra = [0, 0, 0, 0, 0, target[0] - shape[0], target[1] - shape[1], target[2] - shape[2]]
    return g.op("Pad", [x, g.const("pads", np.array(extra, dtype=np.int64))], mode="constant")


def convert(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    r = DlibReader(data)
    net = read_net(r, anet_type())
    if r.pos != len(data):
        r.fail("trailing bytes after the network")
    g = Graph()
    _, (dims,) = emit(g, net, {})
    if dims != 128:
        raise ValueError(f"descriptor has {dims} values, expected 128")
    graph = helper.make_graph(
        g.nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("chip", TensorProto.FLOAT, ["N", 3, 150, 150])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", 128])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="facekit convert_dlib_resnet.py")
    model.ir_version = 8  # readable by ONNX Runtime 1.31 (the onnx package writes newer)
    model.doc_string = ("dlib face recognition ResNet v1 (public domain, Davis King). Input: RGB "
                        "0..255 float NCHW 150x150 chip aligned as dlib's get_face_chip_details"
                        "(size 150, padding 0.25); output: 128-d descriptor, same person when "
                        f"the Euclidean distance < {net[1]['dist_thresh']:.2f}.")
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"convert_dlib_resnet: {len(g.nodes)} nodes, {len(g.inits)} initialisers, "
          f"loss margin {net[1]['margin']:.3f} threshold {net[1]['dist_thresh']:.3f} -> {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("Usage: ")[1])
    try:
        convert(sys.argv[1], sys.argv[2])
    except (OSError, ValueError) as e:
        sys.exit(f"convert_dlib_resnet.py: {e}")
