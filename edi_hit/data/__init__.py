# Shipped JSON tables (codes, rates, Part B, conventions); read via importlib.resources.
