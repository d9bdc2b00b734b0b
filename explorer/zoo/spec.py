"""`VariantSpec`: a whole variant as data (its tables of module rows, defaults, presets, notes)."""
from __future__ import annotations

from dataclasses import dataclass

from explorer.zoo.choices import Choices
from explorer.zoo.ops import AuxHead, Module


@dataclass(frozen=True)
class VariantSpec:
    """A whole variant as data. `tables` maps a `table` choice to its module rows.

    applicable: the choices that mean something for the variant (others may only keep their
    default); not_applicable_why says why for the rest. presets: the shipped configurations
    (name -> choice changes from the defaults). deviations: "paper vs shipped", for the UI."""

    name: str
    title: str
    paper: str
    tables: tuple[tuple[str, tuple[Module, ...]], ...]
    defaults: Choices
    applicable: frozenset
    not_applicable_why: tuple[tuple[str, str], ...] = ()
    aux: tuple[AuxHead, ...] = ()
    dropout: float = 0.0
    normalization: str = "tf"  # preprocessing of the reference weights
    presets: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    deviations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def modules(self, table: str = "paper") -> tuple[Module, ...]:
        return dict(self.tables)[table]

    def preset(self, name: str) -> dict:
        presets = dict(self.presets)
        if name not in presets:
            raise ValueError(f"{self.name} has no preset {name!r}; presets: {sorted(presets)}. "
                             f"Received: {name!r}")
        return dict(presets[name])

    def why_not(self, choice: str) -> str:
        """Why `choice` does not apply to this variant."""
        return dict(self.not_applicable_why).get(choice, f"it does not apply to {self.name}")
