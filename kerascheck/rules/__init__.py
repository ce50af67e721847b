"""Built-in static rules, one module per family, each a plugin registered through the hooks."""
