"""Weights: copy between structurally identical models, load local files, download Keras's."""
from __future__ import annotations


class WeightsError(ValueError):
    """A weights file that cannot be used for this model (message says why and what to do)."""


def _weighted_layers(model) -> list:
    """Layers with weights in a canonical graph order: a post-order walk from the first output
    through each layer's inputs in order. Identical for two models with the same topology and the
    same concatenation orders, whatever their layer names or creation order."""
    outputs = model.outputs
    order, visited = [], set()
    for out in outputs:
        stack = [(out._keras_history.operation, False)]
        while stack:
            layer, done = stack.pop()
            if done:
                order.append(layer)
                continue
            if id(layer) in visited:
                continue
            visited.add(id(layer))
            stack.append((layer, True))
            parents = []
            if layer._inbound_nodes:
                for t in layer._inbound_nodes[0].input_tensors:
                    parents.append(t._keras_history.operation)
            for p in reversed(parents):
                if id(p) not in visited:
                    stack.append((p, False))
    return [layer for layer in order if layer.weights]


def copy_weights(source, target) -> int:
    """Copy all weights of `source` (a keras.applications model or an explorer model of the same
    architecture) into `target`, matching layers by graph structure, not by name.

    Returns the number of layers copied. Raises WeightsError (a ValueError) naming the first layer
    whose kind or weight shapes differ, with both shapes."""
    src, dst = _weighted_layers(source), _weighted_layers(target)
    for i, (s, d) in enumerate(zip(src, dst)):
        s_shapes = [tuple(w.shape) for w in s.weights]
        d_shapes = [tuple(w.shape) for w in d.weights]
        if type(s).__name__ != type(d).__name__ or s_shapes != d_shapes:
            raise WeightsError(
                f"Weights do not match at layer #{i + 1} with weights: source {s.name!r} "
                f"({type(s).__name__}, shapes {s_shapes}) vs target {d.name!r} ({type(d).__name__}, "
                f"shapes {d_shapes}). The weights are for a different architecture or design choices.")
    if len(src) != len(dst):
        extra = (src if len(src) > len(dst) else dst)[min(len(src), len(dst))]
        which = "source" if len(src) > len(dst) else "target"
        raise WeightsError(f"The {which} model has more layers with weights ({len(src)} vs {len(dst)}); "
                           f"the first unmatched one is {extra.name!r} ({type(extra).__name__}).")
    for s, d in zip(src, dst):
        d.set_weights(s.get_weights())
    return len(src)
