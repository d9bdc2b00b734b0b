"""Single toggles and a sample of combinations used by the cost == build tests."""
import explorer

SMALL = {"googlenet": 64, "bn_inception": 64, "inception_v3": 96, "inception_v4": 96,
         "inception_resnet_v1": 96, "inception_resnet_v2": 96}
AUX_SMALL = {"googlenet": 224, "inception_v3": 160, "inception_v4": 160, "inception_resnet_v2": 160}


def single_toggles(variant):
    spec = explorer.get_spec(variant)
    d = spec.defaults
    out = []
    for name in sorted(spec.applicable):
        if name in ("input_size", "classes"):
            continue
        if name == "head":
            out.append({"head": "fc"})
        elif name == "width":
            out.append({"width": 0.5})
        elif name == "kernel_5x5":
            out.append({"kernel_5x5": 3})
        elif name == "table":
            out.append({"table": "tf_slim"})
        elif name == "residual_scale":
            out.append({"residual_scale": 0.3})
        elif name == "conv_bias":
            out.append({"conv_bias": not (d.conv_bias if d.conv_bias is not None else not d.batch_norm)})
        elif name == "kernel_5x5" and d.factorize_5x5:
            continue
        else:
            value = not getattr(d, name)
            if name == "kernel_5x5":
                continue
            kw = {name: value}
            if name == "residual" and not value:
                kw = {"residual": False}
            out.append(kw)
    out.append({"classes": 10})
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
