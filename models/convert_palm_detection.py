"""Converts MediaPipe's palm detector (.tflite) to ONNX with tflite2onnx.

tflite2onnx 0.4.1 stops on this model: each PReLU's slope is a [1, 1, C] tensor next to
NHWC activations, and the converter gives it the 4-D NHWC -> NCHW layout (IndexError in
layout.transform). Here such 3-D tensors get the same layout change without the batch axis
(HWC -> CHW, i.e. [C, 1, 1]), which is what ONNX's PRelu broadcasting wants; everything
else is the stock converter. Outputs are checked on real frames by the hand tests and the
contact sheets (notes/issue-14-look.md, session 4).

  convert_palm_detection.py IN.tflite OUT.onnx
"""

import sys

import tflite2onnx.tensor as tensor
from tflite2onnx.convert import convert
from tflite2onnx.layout import Layout

_transform = tensor.Tensor.transform


def _transform_rank3_as_hwc(self):
    if len(self.shape) == 3 and len(self.layout.source) == 4:
        self.layout = Layout(self.layout.source[1:], self.layout.target[1:])
    return _transform(self)


tensor.Tensor.transform = _transform_rank3_as_hwc

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    convert(sys.argv[1], sys.argv[2])
