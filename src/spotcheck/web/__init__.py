"""The reactive web UI: static HTML, CSS and ES modules served beside the API."""

from spotcheck.web.site import STATIC_DIR, install_web_ui

__all__ = ["STATIC_DIR", "install_web_ui"]
