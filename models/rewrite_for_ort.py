"""Rewrite an ONNX model's PRelu and channel-padding Pad nodes into ops ONNX Runtime
keeps in its fast blocked (NCHWc) layout, in place. Both rewrites are exact.

usage: rewrite_for_ort.py IN.onnx OUT.onnx

    PRelu(x, a)               ->  x + DwConv(Relu(DwConv(x, -1)), 1 - a)
    Pad(x, channels C -> C+p) ->  Conv1x1(x, [I_C; 0])   (zeros appended to the channels)

where DwConv(x, w) is a 1x1 depthwise convolution (group = channels) scaling each
channel by w. PRelu: for x >= 0 the Relu term is 0 and y = x; for x < 0 it is
x + (1 - a) * (-x) = a * x (one rounding more than PRelu, ~1e-7 relative).
`Max(x, a * x)` is not an option: some slopes are negative. The form keeps x used
by an Add that ONNX Runtime fuses into the second convolution, and the first
convolution's Relu fuses into it, so a PRelu costs two depthwise convolutions.
Channel Pad: the identity-plus-zeros 1x1 convolution gives the same values (x * 1
plus zero terms).

Why: ONNX Runtime's CPU PRelu is a generic broadcasting kernel, and neither PRelu,
Pad nor a broadcast Mul/Sub has an NCHWc kernel, so each of them also forces layout
reorders around it, and a Pad feeding a residual Add keeps the Adds after it out of
the blocked layout too (FaceMesh's three channel Pads: 15% of its time went to
reorders). After both rewrites FaceMesh is all NCHWc Conv and MaxPool. Figures in
docs/models.md section 8; bench/models.sh measures them. Outputs differ from the
original by the convolutions' summation order (max ~5e-5 on landmarks in 0..192 px);
models/verify_models.py compares them with the model as converted.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference


def channel_pad(node, inits, shapes):
    """Channels appended by a constant zero Pad that pads only channels at the end, else None."""
    if node.op_type != "Pad" or len(node.input) < 2 or node.input[1] not in inits:
        return None
    if len(node.input) > 2 and node.input[2]:
        return None  # explicit pad value
    mode = [helper.get_attribute_value(a) for a in node.attribute if a.name == "mode"]
    pads = numpy_helper.to_array(inits[node.input[1]]).tolist()
    shape = shapes.get(node.input[0])
    if (mode and mode[0] != b"constant") or len(pads) != 8 or not shape or shape[1] <= 0:
        return None
    if any(p != 0 for i, p in enumerate(pads) if i != 5) or pads[5] <= 0:
        return None
    return shape[1], pads[5]


def rewrite(model):
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in shape_inference.infer_shapes(model).graph.value_info
    }
    nodes, weights, counts = [], [], {"PRelu": 0, "Pad": 0}

    def weight(name, values):
        weights.append(numpy_helper.from_array(values.astype(np.float32), name))
        return name

    for node in graph.node:
        b = node.name or node.output[0]
        if node.op_type == "PRelu":
            x, slope = node.input
            (y,) = node.output
            a = numpy_helper.to_array(inits[slope]).reshape(-1)
            c = a.size
            dw = dict(group=c, kernel_shape=[1, 1])
            nodes += [
                helper.make_node("Conv", [x, weight(f"{b}/minus_one", -np.ones((c, 1, 1, 1)))],
                                 [f"{b}/negated"], name=f"{b}/negate", **dw),
                helper.make_node("Relu", [f"{b}/negated"], [f"{b}/neg"], name=f"{b}/relu_neg"),
                helper.make_node("Conv", [f"{b}/neg", weight(f"{b}/one_minus_slope",
                                                             (1 - a).reshape(c, 1, 1, 1))],
                                 [f"{b}/scaled"], name=f"{b}/scale", **dw),
                helper.make_node("Add", [x, f"{b}/scaled"], [y], name=f"{b}/add"),
            ]
            counts["PRelu"] += 1
        elif (pad := channel_pad(node, inits, shapes)) is not None:
            c, extra = pad
            w = np.zeros((c + extra, c, 1, 1))
            w[np.arange(c), np.arange(c)] = 1
            nodes.append(helper.make_node("Conv", [node.input[0], weight(f"{b}/identity", w)],
                                          list(node.output), name=f"{b}/as_conv",
                                          kernel_shape=[1, 1]))
            counts["Pad"] += 1
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(weights)
    used = {i for n in graph.node for i in n.input}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)  # the old slopes and paddings
    return counts


def main(src, dst):
    model = onnx.load(src)
    counts = rewrite(model)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"rewrite_for_ort: {counts['PRelu']} PRelu and {counts['Pad']} channel Pad node(s) "
          f"rewritten, {src} -> {dst}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
