"""Which modules a classifier head can depend on. Pure structure of the resolved net (no Keras), so
the pages can fill their pickers without importing the backend."""
from __future__ import annotations


def modules_for(net, head: str = "main") -> list[str]:
    """The branched modules of a resolved net whose output can change `head` (an aux head reads
    only the modules up to the one it is attached after)."""
    names = [m.name for m in net.modules if not m.sequential]
    if head == "main":
        return names
    aux = {a.name: a.after for a in net.aux}
    if head not in aux:
        raise ValueError(f"the heads are main{''.join(', ' + a for a in aux)}. Received: head={head!r}")
    order = [m.name for m in net.modules]
    return [m for m in names if order.index(m) <= order.index(aux[head])]
