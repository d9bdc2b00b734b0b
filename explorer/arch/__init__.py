"""Graph resolution and the analytic cost model (no Keras): spec + choices -> units -> params, MACs,
shapes, strides and receptive fields."""
from explorer.arch.api import combination_costs, cost, features, toggle_combinations  # noqa: F401
from explorer.arch.cost import Cost  # noqa: F401
from explorer.arch.graph import resolve  # noqa: F401
from explorer.arch.validate import choices  # noqa: F401
