"""Single toggles and a sample of combinations used by the cost == build tests."""
import explorer
from explorer.zoo.choices import flipped

SMALL = {"googlenet": 64, "bn_inception": 64, "inception_v3": 96, "inception_v4": 96,
         "inception_resnet_v1": 96, "inception_resnet_v2": 96}
AUX_SMALL = {"googlenet": 224, "inception_v3": 160, "inception_v4": 160, "inception_resnet_v2": 160}


# choices that are not on/off: the value a single-toggle test sets
OTHER_VALUES = {"width": 0.5, "table": "tf_slim", "residual_scale": 0.3, "factorize_mid": "out", "classes": 10}


def single_toggles(variant):
    """One change per applicable choice: on/off choices flipped (booleans, head, kernel_5x5,
    conv_bias), the others set to a value from OTHER_VALUES; input_size is set by the tests."""
    spec = explorer.get_spec(variant)
    out = []
    for name in sorted(spec.applicable - {"input_size"}):
        if name in OTHER_VALUES:
            out.append({name: OTHER_VALUES[name]})
        else:
            out.append({name: flipped(name, getattr(spec.defaults, name))})
    return out


COMBINATIONS = [
    ("googlenet", {"batch_norm": True, "conv_bias": False, "kernel_5x5": 3, "lrn": False, "aux_heads": True}),
    ("googlenet", {"reduce_1x1": False, "factorize_5x5": True, "factorize_nxn": True}),
    ("googlenet", {"head": "fc", "width": 0.25, "batch_norm": True}),
    ("bn_inception", {"table": "tf_slim", "conv_bias": False, "bn_scale": False}),
    ("bn_inception", {"factorize_5x5": False, "reduce_1x1": False, "batch_norm": False}),
    ("inception_v3", {"factorize_5x5": True, "factorize_nxn": False, "aux_heads": True}),
    ("inception_v3", {"reduce_1x1": False, "width": 0.5, "bn_scale": True}),
    ("inception_v4", {"factorize_nxn": False, "aux_heads": True, "head": "fc"}),
    ("inception_resnet_v1", {"residual": False, "factorize_nxn": False, "width": 0.5}),
    ("inception_resnet_v2", {"residual_scale": (0.3, 0.2, 0.1), "factorize_5x5": True, "aux_heads": True}),
    ("inception_resnet_v2", {"batch_norm": False, "reduce_1x1": False}),
]
