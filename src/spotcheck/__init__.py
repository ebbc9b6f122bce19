"""SpotCheck: skin-lesion self-screening. A screening aid, never a diagnosis."""

__version__ = "0.1.0"

__all__ = ["__version__"]
