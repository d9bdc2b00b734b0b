"""Full-size fidelity against keras.applications."""
import keras
import numpy as np
import pytest

import explorer

pytestmark = [pytest.mark.full, pytest.mark.slow, pytest.mark.xdist_group("full")]


# free in a traced graph: constants, shape changes without a copy, reads of the variables
FREE_OPS = {"Const", "Reshape", "Identity", "NoOp", "Placeholder", "ReadVariableOp", "ExpandDims", "Squeeze"}


def _compute_ops(model) -> dict:
    """Op type -> count in the TensorFlow graph of one inference call (one image), free ops left out."""
    import collections

    import tensorflow as tf

    f = tf.function(lambda x: model(x, training=False), autograph=False)
    graph = f.get_concrete_function(tf.TensorSpec((1, *model.input.shape[1:]), tf.float32)).graph
    counts = collections.Counter(op.type for op in graph.get_operations())
    return {k: n for k, n in counts.items() if k not in FREE_OPS}


def _randomise(model, seed):
    rng = np.random.RandomState(seed)
    weights = []
    for w in model.get_weights():
        noise = rng.normal(0, 0.05, w.shape).astype(w.dtype)
        weights.append(w + noise if w.ndim > 1 else np.abs(w + noise) + 0.1)  # BN stats stay positive
    model.set_weights(weights)


@pytest.mark.parametrize("variant, app, params", [
    ("inception_v3", keras.applications.InceptionV3, 23_851_784),
    ("inception_resnet_v2", keras.applications.InceptionResNetV2, 55_873_736),
])
def test_same_outputs_as_keras_applications(variant, app, params):
    ours = explorer.build(variant)
    assert ours.count_params() == params
    ref = app(weights=None)
    assert ref.count_params() == params
    _randomise(ref, 0)
    assert explorer.copy_weights(ref, ours) > 100
    x = np.random.RandomState(1).uniform(-1, 1, (2, 299, 299, 3)).astype("float32")
    a, b = np.asarray(ref(x)), np.asarray(ours(x))
    assert np.abs(a - b).max() <= 1e-5
    assert a.std() > 1e-4  # the outputs are not degenerate
    if keras.config.backend() == "tensorflow":
        # the same work as Keras's model, op for op (README, Performance: the forward-pass ratio
        # against keras.applications is the run's noise, not extra work)
        ours_ops, ref_ops = _compute_ops(ours), _compute_ops(ref)
        assert ours_ops["Conv2D"] == ref_ops["Conv2D"] > 90
        assert ours_ops["Rsqrt"] == ref_ops["Rsqrt"]  # one per batch norm
        assert {k: n for k, n in ours_ops.items() if n > ref_ops.get(k, 0)} == {}, (ours_ops, ref_ops)


def test_copy_weights_names_the_first_mismatch():
    src = explorer.build("inception_v3", input_size=96)
    dst = explorer.build("inception_v3", input_size=96, factorize_5x5=True)  # 48 -> sqrt(48 * 64) = 55 -> 64
    with pytest.raises(ValueError, match=r"mixed_5b__b2_5x5__conv.*\(5, 5, 48, 64\).*mixed_5b__b2_3x3__conv.*\(3, 3, 48, 55\)"):
        explorer.copy_weights(src, dst)
