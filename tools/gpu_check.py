"""GPU check, run on a machine with an accelerator under KERAS_BACKEND=jax (or torch):

    KERAS_BACKEND=jax python tools/gpu_check.py [--out DIR]

1. every variant builds on the GPU backend with exactly the analytic parameter count, and one
   forward pass / one probe pass gives finite outputs of the right shapes;
2. independent references, where the machine has them (torchvision, timm): their PyTorch
   parameter counts against `explorer.cost(...).trainable_params` of the matching configuration;
3. batch-1 latency and batch-32 throughput per variant (compiled predict function).
Prints a table and writes gpu_check.json. Needs no TensorFlow.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=".")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    import keras
    import numpy as np

    import explorer
    from explorer.nn.backend import device_info
    from explorer.inference.probe import get_probe

    report = {"device": device_info(), "keras": keras.__version__, "variants": {}, "references": {}}
    print("device:", report["device"]["summary"])
    ok = True
    for v in explorer.list_variants():
        kw = {"aux_heads": True} if "aux_heads" in explorer.get_spec(v).applicable else {}
        c = explorer.cost(v, **kw)
        t = time.perf_counter()
        model = explorer.build(v, **kw)
        build_s = time.perf_counter() - t
        size = explorer.model_info(model).choices.input_size
        count_ok = model.count_params() == c.params
        x1 = np.random.RandomState(0).uniform(-1, 1, (1, size, size, 3)).astype("float32")
        x32 = np.random.RandomState(1).uniform(-1, 1, (32, size, size, 3)).astype("float32")
        outs = model.predict_on_batch(x1)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        finite = all(np.isfinite(np.asarray(o)).all() for o in outs)
        sums = [float(np.asarray(o).sum()) for o in outs]
        lat = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            model.predict_on_batch(x1)
            lat.append(time.perf_counter() - t)
        model.predict_on_batch(x32)
        thr = []
        for _ in range(max(3, args.repeats // 4)):
            t = time.perf_counter()
            model.predict_on_batch(x32)
            thr.append(time.perf_counter() - t)
        probe = get_probe(model)
        probe.run(x1)
        pt = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            maps, heads = probe.run(x1)
            pt.append(time.perf_counter() - t)
        shapes_ok = all(m.shape[0] == 1 for m in maps)
        row = {"aux_heads": bool(kw), "params": model.count_params(), "cost_params": c.params, "count_ok": count_ok,
               "outputs": len(outs), "softmax_sums": sums, "finite": finite, "build_s": build_s,
               "latency_b1_ms": 1e3 * float(np.median(lat)), "throughput_b32_img_s": 32 / float(np.median(thr)),
               "probe_b1_ms": 1e3 * float(np.median(pt)), "probe_outputs": len(maps), "probe_shapes_ok": shapes_ok,
               "gflops_b32": 2 * c.macs * 32 / float(np.median(thr)) / 1e9}
        ok &= count_ok and finite and shapes_ok
        report["variants"][v] = row
        print(f"{v:<22} params {row['params']:>11,} ok={count_ok} finite={finite} "
              f"b1 {row['latency_b1_ms']:7.2f} ms  b32 {row['throughput_b32_img_s']:8.1f} img/s "
              f"({row['gflops_b32']:.0f} GFLOP/s)  probe b1 {row['probe_b1_ms']:7.2f} ms ({len(maps)} maps)")
        del model, probe
        keras.backend.clear_session()

    def count(m, trainable=True):
        return sum(p.numel() for p in m.parameters() if p.requires_grad or not trainable)

    refs = []
    try:
        import torchvision.models as tvm
        refs += [("torchvision googlenet", lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=False),
                  ("googlenet", explorer.get_spec("googlenet").preset("torchvision"))),
                 ("torchvision googlenet + aux", lambda: tvm.googlenet(weights=None, aux_logits=True, init_weights=False),
                  ("googlenet", {**explorer.get_spec("googlenet").preset("torchvision"), "aux_heads": True})),
                 ("torchvision inception_v3 + aux", lambda: tvm.inception_v3(weights=None, aux_logits=True, init_weights=False),
                  ("inception_v3", {"aux_heads": True, "bn_scale": True}))]
    except Exception as e:  # noqa: BLE001
        report["references"]["torchvision"] = f"unavailable: {e}"
    try:
        import timm
        refs += [("timm inception_v4", lambda: timm.create_model("inception_v4", pretrained=False),
                  ("inception_v4", {"bn_scale": True})),
                 ("timm inception_resnet_v2", lambda: timm.create_model("inception_resnet_v2", pretrained=False),
                  ("inception_resnet_v2", {"bn_scale": True})),
                 ("timm inception_v3", lambda: timm.create_model("inception_v3", pretrained=False),
                  ("inception_v3", {"bn_scale": True}))]
    except Exception as e:  # noqa: BLE001
        report["references"]["timm"] = f"unavailable: {e}"
    for name, make, (variant, choices) in refs:
        try:
            theirs = count(make())
        except Exception as e:  # noqa: BLE001
            report["references"][name] = f"failed: {e}"
            continue
        ours = explorer.cost(variant, **choices).trainable_params
        report["references"][name] = {"theirs": theirs, "ours": ours, "equal": theirs == ours,
                                      "explorer": f"{variant} {choices}"}
        print(f"{name:<34} theirs {theirs:>11,}  explorer {ours:>11,}  equal={theirs == ours}")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_check.json").write_text(json.dumps(report, indent=1, default=str))
    print("ALL OK" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    sys.exit(main())
