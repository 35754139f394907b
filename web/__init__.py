"""The HTTP layer: the only package that imports FastAPI. Builds components once, hands them in."""
