"""Output formats: text, json, sarif, github (each one module, registered as a plugin)."""
