"""Build one of TF-slim's own networks (the `tf_slim` package: inception_v1, v2, v3) in graph
mode with random weights and non-trivial batch-norm statistics, save its checkpoint and its
logits on a fixed input. Run by tests/test_slim_reference.py in a subprocess (graph mode and
tf_slim's TF1 layers must not touch the test process):

    python tests/slim_reference.py NET INPUT.npy OUT_DIR   # NET: inception_v1 | inception_v2 | inception_v3

INPUT.npy: a float32 batch (N, size, size, 3) in [-1, 1]. Writes OUT_DIR/model.ckpt (.index,
.data-*) and OUT_DIR/outputs.npz (logits, aux_logits). The classifiers' weights are scaled so the
logits spread over several units: the softmax is far from uniform and a wrong layer shows.
"""
from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

def import_tf_slim():
    """tf_slim 1.1 imports `tf_keras.legacy_tf_layers`, which tf_keras 2.21 keeps only inside its
    private package: alias those modules first (test-only; nothing in explorer does this)."""
    private = "tf_keras" + "." + "src.legacy_tf_layers"  # the one private import, in tests only
    for sub in ("", ".base", ".core", ".convolutional", ".normalization", ".pooling"):
        sys.modules["tf_keras.legacy_tf_layers" + sub] = importlib.import_module(private + sub)
    import tf_slim
    from tf_slim.nets import inception

    return tf_slim, inception


def main(net: str, inputs: str, out: str) -> None:
    tf.compat.v1.disable_eager_execution()
    slim, inception = import_tf_slim()
    rng = np.random.default_rng(0)
    x = np.load(inputs).astype(np.float32)
    images = tf.compat.v1.placeholder(tf.float32, (None,) + x.shape[1:])
    with slim.arg_scope(getattr(inception, f"{net}_arg_scope")()):
        logits, ends = getattr(inception, net)(images, num_classes=1001, is_training=False)
    variables = tf.compat.v1.global_variables()
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for v in variables:  # He-normal weights (activations stay O(1) through the depth: the output
            shape, name = v.shape.as_list(), v.op.name  # depends on the image), non-trivial BN statistics
            if name.endswith("weights"):
                fan_in = int(np.prod(shape[:-1])) if not name.endswith("depthwise_weights") else shape[0] * shape[1]
                v.load(rng.normal(0, np.sqrt(2.0 / fan_in), shape).astype(np.float32), sess)
            elif name.endswith("moving_variance"):
                v.load(rng.uniform(0.5, 2.0, shape).astype(np.float32), sess)
            elif name.endswith(("moving_mean", "beta", "biases")):
                v.load(rng.normal(0, 0.2, shape).astype(np.float32), sess)
        fetch = {"logits": logits}
        if "AuxLogits" in ends:
            fetch["aux_logits"] = ends["AuxLogits"]
        for key, scope in (("logits", "/Logits/"), ("aux_logits", "/AuxLogits/")):
            if key in fetch:  # spread the logits to a standard deviation of 3 across classes
                spread = float(sess.run(fetch[key], {images: x}).std(axis=-1).mean())
                for v in variables:
                    if scope in v.op.name and v.op.name.endswith(("Conv2d_1c_1x1/weights", "Conv2d_0c_1x1/weights",
                                                                   "Conv2d_2b_1x1/weights")):
                        v.load(sess.run(v) * (3.0 / spread), sess)
        tf.compat.v1.train.Saver(variables).save(sess, os.path.join(out, "model.ckpt"), write_meta_graph=False)
        values = sess.run(fetch, {images: x})
    np.savez(os.path.join(out, "outputs.npz"), **values)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
