"""The variables of TF-slim's inception_v4 and inception_resnet_v2 checkpoints (name -> shape), as
their network definitions create them (tensorflow/models research/slim/nets/inception_v4.py and
inception_resnet_v2.py; neither is in the `tf_slim` pip package), written out here layer by
layer, independently of explorer's name map, with 1001 classes and the auxiliary head.

TF-slim's conventions: `conv2d` under the inception arg scope creates `<scope>/weights`
(kh, kw, in, out) and batch norm without gamma (`BatchNorm/beta`, `moving_mean`,
`moving_variance`); a conv with `normalizer_fn=None` (IRv2's residual up-projection) has
`biases`; `fully_connected` creates `weights` (in, out) and `biases`.
"""
from __future__ import annotations

from contextlib import contextmanager


class Recorder:
    def __init__(self, scope: str):
        self.path, self.vars = [scope], {}

    @contextmanager
    def scope(self, name: str):
        self.path.append(name)
        yield
        self.path.pop()

    def conv(self, name: str, cin: int, cout: int, k, bn: bool = True) -> int:
        kh, kw = (k, k) if isinstance(k, int) else k
        base = "/".join(self.path + [name])
        self.vars[f"{base}/weights"] = (kh, kw, cin, cout)
        if bn:
            for v in ("beta", "moving_mean", "moving_variance"):
                self.vars[f"{base}/BatchNorm/{v}"] = (cout,)
        else:
            self.vars[f"{base}/biases"] = (cout,)
        return cout

    def fc(self, name: str, cin: int, cout: int) -> None:
        base = "/".join(self.path + [name])
        self.vars[f"{base}/weights"] = (cin, cout)
        self.vars[f"{base}/biases"] = (cout,)

    def heads(self, aux_in: int, aux_conv: str, aux_logits: str, cin: int) -> dict:
        """AuxLogits (avg pool, 1x1 conv 128, 5x5 conv 768, fully connected) and Logits/Logits."""
        with self.scope("AuxLogits"):
            self.conv(aux_conv, self.conv("Conv2d_1b_1x1", aux_in, 128, 1), 768, 5)
            self.fc(aux_logits, 768, 1001)
        with self.scope("Logits"):
            self.fc("Logits", cin, 1001)
        return self.vars

    def branch(self, i: int, cin: int, convs) -> int:
        """Branch_i: convs [(name, out, kernel)] in sequence. Returns the branch's output channels."""
        with self.scope(f"Branch_{i}"):
            for name, cout, k in convs:
                cin = self.conv(name, cin, cout, k)
        return cin


def _pair(rec: Recorder, i: int, cin: int, lead, a: str, b: str, each: int) -> int:
    """Branch_i: the `lead` convs, then `a` (1x3) and `b` (3x1) side by side, `each` outputs each."""
    with rec.scope(f"Branch_{i}"):
        for name, cout, k in lead:
            cin = rec.conv(name, cin, cout, k)
        rec.conv(a, cin, each, (1, 3))
        rec.conv(b, cin, each, (3, 1))
    return 2 * each


def inception_v4() -> dict:
    r = Recorder("InceptionV4")
    c = r.conv("Conv2d_1a_3x3", 3, 32, 3)
    c = r.conv("Conv2d_2a_3x3", c, 32, 3)
    c = r.conv("Conv2d_2b_3x3", c, 64, 3)
    with r.scope("Mixed_3a"):
        c = c + r.branch(1, c, [("Conv2d_0a_3x3", 96, 3)])  # Branch_0: max pool
    with r.scope("Mixed_4a"):
        c = (r.branch(0, c, [("Conv2d_0a_1x1", 64, 1), ("Conv2d_1a_3x3", 96, 3)])
             + r.branch(1, c, [("Conv2d_0a_1x1", 64, 1), ("Conv2d_0b_1x7", 64, (1, 7)), ("Conv2d_0c_7x1", 64, (7, 1)),
                               ("Conv2d_1a_3x3", 96, 3)]))
    with r.scope("Mixed_5a"):
        c = r.branch(0, c, [("Conv2d_1a_3x3", 192, 3)]) + c  # Branch_1: max pool
    for x in "bcde":
        with r.scope(f"Mixed_5{x}"):
            c = (r.branch(0, c, [("Conv2d_0a_1x1", 96, 1)])
                 + r.branch(1, c, [("Conv2d_0a_1x1", 64, 1), ("Conv2d_0b_3x3", 96, 3)])
                 + r.branch(2, c, [("Conv2d_0a_1x1", 64, 1), ("Conv2d_0b_3x3", 96, 3), ("Conv2d_0c_3x3", 96, 3)])
                 + r.branch(3, c, [("Conv2d_0b_1x1", 96, 1)]))
    with r.scope("Mixed_6a"):
        c = (r.branch(0, c, [("Conv2d_1a_3x3", 384, 3)])
             + r.branch(1, c, [("Conv2d_0a_1x1", 192, 1), ("Conv2d_0b_3x3", 224, 3), ("Conv2d_1a_3x3", 256, 3)]) + c)
    for x in "bcdefgh":
        with r.scope(f"Mixed_6{x}"):
            c = (r.branch(0, c, [("Conv2d_0a_1x1", 384, 1)])
                 + r.branch(1, c, [("Conv2d_0a_1x1", 192, 1), ("Conv2d_0b_1x7", 224, (1, 7)),
                                   ("Conv2d_0c_7x1", 256, (7, 1))])
                 + r.branch(2, c, [("Conv2d_0a_1x1", 192, 1), ("Conv2d_0b_7x1", 192, (7, 1)),
                                   ("Conv2d_0c_1x7", 224, (1, 7)), ("Conv2d_0d_7x1", 224, (7, 1)),
                                   ("Conv2d_0e_1x7", 256, (1, 7))])
                 + r.branch(3, c, [("Conv2d_0b_1x1", 128, 1)]))
    aux_in = c
    with r.scope("Mixed_7a"):
        c = (r.branch(0, c, [("Conv2d_0a_1x1", 192, 1), ("Conv2d_1a_3x3", 192, 3)])
             + r.branch(1, c, [("Conv2d_0a_1x1", 256, 1), ("Conv2d_0b_1x7", 256, (1, 7)), ("Conv2d_0c_7x1", 320, (7, 1)),
                               ("Conv2d_1a_3x3", 320, 3)]) + c)
    for x in "bcd":
        with r.scope(f"Mixed_7{x}"):
            c = (r.branch(0, c, [("Conv2d_0a_1x1", 256, 1)])
                 + _pair(r, 1, c, [("Conv2d_0a_1x1", 384, 1)], "Conv2d_0b_1x3", "Conv2d_0c_3x1", 256)
                 + _pair(r, 2, c, [("Conv2d_0a_1x1", 384, 1), ("Conv2d_0b_3x1", 448, (3, 1)),
                                   ("Conv2d_0c_1x3", 512, (1, 3))], "Conv2d_0d_1x3", "Conv2d_0e_3x1", 256)
                 + r.branch(3, c, [("Conv2d_0b_1x1", 256, 1)]))
    return r.heads(aux_in, "Conv2d_2a", "Aux_logits", c)


def _residual(r: Recorder, scope: str, c: int, branches) -> None:
    with r.scope(scope):
        mixed = sum(r.branch(i, c, convs) for i, convs in enumerate(branches))
        r.conv("Conv2d_1x1", mixed, c, 1, bn=False)


def inception_resnet_v2() -> dict:
    r = Recorder("InceptionResnetV2")
    c = r.conv("Conv2d_1a_3x3", 3, 32, 3)
    c = r.conv("Conv2d_2a_3x3", c, 32, 3)
    c = r.conv("Conv2d_2b_3x3", c, 64, 3)
    c = r.conv("Conv2d_3b_1x1", c, 80, 1)
    c = r.conv("Conv2d_4a_3x3", c, 192, 3)
    with r.scope("Mixed_5b"):
        c = (r.branch(0, c, [("Conv2d_1x1", 96, 1)])
             + r.branch(1, c, [("Conv2d_0a_1x1", 48, 1), ("Conv2d_0b_5x5", 64, 5)])
             + r.branch(2, c, [("Conv2d_0a_1x1", 64, 1), ("Conv2d_0b_3x3", 96, 3), ("Conv2d_0c_3x3", 96, 3)])
             + r.branch(3, c, [("Conv2d_0b_1x1", 64, 1)]))
    for i in range(1, 11):
        _residual(r, f"Repeat/block35_{i}", c, [[("Conv2d_1x1", 32, 1)],
                                                [("Conv2d_0a_1x1", 32, 1), ("Conv2d_0b_3x3", 32, 3)],
                                                [("Conv2d_0a_1x1", 32, 1), ("Conv2d_0b_3x3", 48, 3),
                                                 ("Conv2d_0c_3x3", 64, 3)]])
    with r.scope("Mixed_6a"):
        c = (r.branch(0, c, [("Conv2d_1a_3x3", 384, 3)])
             + r.branch(1, c, [("Conv2d_0a_1x1", 256, 1), ("Conv2d_0b_3x3", 256, 3), ("Conv2d_1a_3x3", 384, 3)]) + c)
    for i in range(1, 21):
        _residual(r, f"Repeat_1/block17_{i}", c, [[("Conv2d_1x1", 192, 1)],
                                                  [("Conv2d_0a_1x1", 128, 1), ("Conv2d_0b_1x7", 160, (1, 7)),
                                                   ("Conv2d_0c_7x1", 192, (7, 1))]])
    aux_in = c
    with r.scope("Mixed_7a"):
        c = (r.branch(0, c, [("Conv2d_0a_1x1", 256, 1), ("Conv2d_1a_3x3", 384, 3)])
             + r.branch(1, c, [("Conv2d_0a_1x1", 256, 1), ("Conv2d_1a_3x3", 288, 3)])
             + r.branch(2, c, [("Conv2d_0a_1x1", 256, 1), ("Conv2d_0b_3x3", 288, 3), ("Conv2d_1a_3x3", 320, 3)]) + c)
    block8 = [[("Conv2d_1x1", 192, 1)], [("Conv2d_0a_1x1", 192, 1), ("Conv2d_0b_1x3", 224, (1, 3)),
                                         ("Conv2d_0c_3x1", 256, (3, 1))]]
    for i in range(1, 10):
        _residual(r, f"Repeat_2/block8_{i}", c, block8)
    _residual(r, "Block8", c, block8)
    c = r.conv("Conv2d_7b_1x1", c, 1536, 1)
    return r.heads(aux_in, "Conv2d_2a_5x5", "Logits", c)


MANIFESTS = {"inception_v4": inception_v4, "inception_resnet_v2": inception_resnet_v2}
