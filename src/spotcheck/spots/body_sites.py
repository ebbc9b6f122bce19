"""A spot's place on the body map in words ("upper back, left side") and the map's outline to draw it.

The web page's body map (web/static/js/bodymap.js) draws one silhouette in a 100 x 200 box for
both views and stores a click as ``x``, ``y`` from 0 to 1. The regions below follow that outline:
head 3-16 % down, neck to 19.5 %, shoulders to 26.5 %, the trunk to 45.5 % (the arms beside it,
outside 37-73 % across, down to the hands at about 47 %), hips to 63.5 %, then the legs to the feet
at 93.5 %. The trunk and legs are centred at 55 % across, the head and neck at 50 %.

Sides are the person's own: the front view faces the person (their left on the viewer's right),
the back view shows them from behind (their left on the viewer's left), as in medical drawings.
"""

from __future__ import annotations

from spotcheck.spots.service import BodySite, BodyView

__all__ = ["HEAD", "MAP_HEIGHT", "MAP_WIDTH", "NECK", "OUTLINE", "site_in_words"]

MAP_WIDTH, MAP_HEIGHT = 100, 200
# The silhouette's outline in the map's 100 x 200 units (its SVG path, without the head and neck).
OUTLINE: tuple[tuple[float, float], ...] = (
    (30, 39), (70, 39), (80, 43), (90, 93), (83, 95), (73, 53), (73, 91), (75, 109), (73, 109), (70, 187),
    (58, 187), (56, 127), (54, 127), (52, 187), (40, 187), (37, 109), (35, 109), (37, 91), (37, 53), (27, 95),
    (20, 93), (30, 43),
)  # fmt: skip
HEAD = (50.0, 19.0, 13.0)  # centre x, centre y, radius; the neck is the box 44-56 across, 32-39 down
NECK = (44.0, 32.0, 12.0, 7.0)  # left, top, width, height

_TRUNK_MIDDLE = 0.55
_HEAD_MIDDLE = 0.50
_MIDDLE_BAND = 0.06  # this close to the middle line: "middle" (a click on a small figure is rough)
_ARM_INNER = (0.37, 0.73)  # across: outside these, beside the trunk, is an arm


def _side(site: BodySite, middle: float) -> str | None:
    """The person's "left" or "right", or None on the middle line."""
    if abs(site.x - middle) <= _MIDDLE_BAND:
        return None
    viewer_left = site.x < middle
    return "left" if viewer_left == (site.view is BodyView.BACK) else "right"


def _region(site: BodySite) -> tuple[str, bool]:
    """The region's name and whether it is a limb (named with its side first: "left thigh")."""
    front = site.view is BodyView.FRONT
    y = site.y
    if y < 0.16:
        return ("face or front of the head" if front else "back of the head"), False
    if y < 0.195:
        return ("neck" if front else "back of the neck"), False
    beside_trunk = site.x < _ARM_INNER[0] or site.x > _ARM_INNER[1]
    if y < 0.265 and beside_trunk:
        return "shoulder", True
    if y < 0.48 and beside_trunk:
        return ("upper arm" if y < 0.35 else "forearm" if y < 0.44 else "hand"), True
    if y < 0.455:
        if y < 0.33:
            return ("chest" if front else "upper back"), False
        return ("abdomen" if front else "lower back"), False
    if y < 0.635:
        return ("hip or groin" if front else "buttock"), True
    part = "thigh" if y < 0.78 else "knee" if y < 0.84 else "lower leg" if y < 0.92 else "ankle or foot"
    return part, True


def site_in_words(site: BodySite | None) -> str:
    """ "upper back, left side", "left thigh (front)", "chest, middle"; "not marked" without a site."""
    if site is None:
        return "not marked"
    region, limb = _region(site)
    side = _side(site, _HEAD_MIDDLE if site.y < 0.195 else _TRUNK_MIDDLE)
    if limb:
        named = f"{side} {region}" if side else region
        return f"{named} ({site.view.value})"
    return f"{region}, {side} side" if side else f"{region}, middle"
