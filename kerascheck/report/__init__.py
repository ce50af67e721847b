"""Output formats (each one module, registered as a plugin): concise (alias text), full, grouped,
json, sarif, github, gitlab, junit."""
