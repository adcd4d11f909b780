"""Rewrite every PRelu node of an ONNX model into ops ONNX Runtime runs fast, in place.

usage: rewrite_prelu.py IN.onnx OUT.onnx

    PRelu(x, a)  ->  Relu(x) + DwConv(Relu(DwConv(x, -1)), -a)

where DwConv(x, w) is a 1x1 depthwise convolution (group = channels) scaling each
channel by w: it is Relu(x) - a * Relu(-x), which equals PRelu in float arithmetic
(for x >= 0 the second term is 0; for x < 0 the first is 0 and (-a) * (-x) = a * x,
one exact negation and one multiplication). `Max(x, a * x)` is not an option: some
slopes are negative.

Why: ONNX Runtime's CPU PRelu is a generic broadcasting kernel, and neither PRelu
nor a broadcast Mul/Sub has a blocked-layout (NCHWc) kernel, so every one of them
also forces layout reorders around it. Depthwise 1x1 convolutions, fused Relu and
same-shape Add all stay in the blocked layout. FaceMesh runs about 3x faster
single-threaded (figures in docs/models.md; bench/models.sh measures them).
Outputs differ from the original only by the convolutions' summation order in the
blocked layout (max 4e-5 on landmarks in 0..192 px); models/verify_models.py
compares them with the .tflite originals.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def rewrite(model):
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes, weights, count = [], [], 0

    def weight(name, values):
        weights.append(numpy_helper.from_array(values.astype(np.float32), name))
        return name

    for node in graph.node:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        x, slope = node.input
        (y,) = node.output
        a = numpy_helper.to_array(inits[slope]).reshape(-1)
        c = a.size
        b = node.name or y
        dw = dict(group=c, kernel_shape=[1, 1])
        nodes += [
            helper.make_node("Relu", [x], [f"{b}/pos"], name=f"{b}/relu_pos"),
            helper.make_node("Conv", [x, weight(f"{b}/minus_one", -np.ones((c, 1, 1, 1)))],
                             [f"{b}/negated"], name=f"{b}/negate", **dw),
            helper.make_node("Relu", [f"{b}/negated"], [f"{b}/neg"], name=f"{b}/relu_neg"),
            helper.make_node("Conv", [f"{b}/neg", weight(f"{b}/minus_slope", -a.reshape(c, 1, 1, 1))],
                             [f"{b}/scaled"], name=f"{b}/scale", **dw),
            helper.make_node("Add", [f"{b}/scaled", f"{b}/pos"], [y], name=f"{b}/add"),
        ]
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(weights)
    used = {i for n in graph.node for i in n.input}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)  # the old slopes
    return count


def main(src, dst):
    model = onnx.load(src)
    count = rewrite(model)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"rewrite_prelu: {count} PRelu node(s) rewritten, {src} -> {dst}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
