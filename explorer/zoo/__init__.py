"""The vocabulary and the data: op and module dataclasses, design choices, layer names, the six
variant tables and the published figures. The bottom layer: imports nothing else of `explorer`
and no Keras."""
from explorer.zoo.choices import CHOICE_HELP, CHOICE_LABELS, Choices  # noqa: F401
from explorer.zoo.names import LayerName, parse_layer_name  # noqa: F401
from explorer.zoo.spec import VariantSpec  # noqa: F401
from explorer.zoo.variants import get_spec, list_variants  # noqa: F401
