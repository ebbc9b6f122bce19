"""The ``{fileName:image}`` path convertor: an image name that is not one of its sub-resources.

Image names keep ``{fileName:path}``'s breadth (a name with a '/' still reaches the route and gets
the naming rule's 400), but ``/images/x.jpg/thumbnail`` must reach the thumbnail route, so that a
PUT or DELETE there is a 405 and never an upload or delete of an image named "x.jpg/thumbnail".
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import Scope

__all__ = ["IMAGE_SUBRESOURCES", "is_image_upload"]

# Add a name here with each new /images/{fileName}/<name> route.
IMAGE_SUBRESOURCES = ("thumbnail", "answers", "spot", "heatmap")


class _ImageNameConvertor(Convertor[str]):
    # Looks ahead from the name's own start, so the name "thumbnail" itself is an image name (a
    # look-behind would also see the "/" of "/images/" before it).
    # (?s: ...): "." matches a newline too, so a name holding one reaches the route and its naming
    # rule's 400 instead of matching no route (404).
    regex = f"(?s:(?!.*/(?:{'|'.join(IMAGE_SUBRESOURCES)})$).*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("image", _ImageNameConvertor())


def is_image_upload(scope: Scope) -> bool:
    """``PUT /images/{fileName}`` or ``POST /images``: a body under the upload limit, not the JSON one."""
    method, path = scope.get("method"), scope.get("path", "")
    if method == "POST":
        return bool(path == "/images")
    return (
        method == "PUT"
        and path.startswith("/images/")
        and not path.endswith(tuple(f"/{s}" for s in IMAGE_SUBRESOURCES))
    )
