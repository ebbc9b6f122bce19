"""Spots over the API: a spot's photos on a timeline, answers, the report, share links, reminders."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import update

from conftest import wait_for_label
from images import BLUE, RED, image_bytes
from spotcheck.classifier.labels import Classification
from spotcheck.clock import utc_now
from spotcheck.db.tables import spot_shares
from spotcheck.recommendation import DISCLAIMER, recommendation_for
from spotcheck.runtime import Runtime
from spotcheck.spots.shares import hash_token


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _make_spot(client: TestClient, auth: dict[str, str], name: str = "Left shoulder mole") -> str:
    made = client.post("/spots", json={"name": name, "bodySite": {"view": "back", "x": 0.3, "y": 0.2}}, headers=auth)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _two_photos(client: TestClient, auth: dict[str, str], spot_id: str) -> None:
    put = client.put(f"/images/first.jpg?spotId={spot_id}", content=image_bytes(BLUE), headers=auth)
    assert put.status_code == 202, put.text
    files = {"file": ("x.jpg", image_bytes(RED), "image/jpeg")}
    post = client.post("/images", files=files, data={"fileName": "second.jpg", "spotId": spot_id}, headers=auth)
    assert post.status_code == 202, post.text
    for name in ("first.jpg", "second.jpg"):
        assert wait_for_label(lambda name=name: client.get(f"/detect/{name}", headers=auth)).status_code == 200


def test_a_spot_collects_its_photos_on_a_timeline(client: TestClient, auth: dict[str, str]) -> None:
    spot_id = _make_spot(client, auth)
    _two_photos(client, auth, spot_id)
    client.put("/images/elsewhere.jpg", content=image_bytes(BLUE), headers=auth)

    detail = client.get(f"/spots/{spot_id}", headers=auth)
    assert detail.status_code == 200, detail.text
    assert detail.headers["cache-control"] == "no-store"
    body = detail.json()
    assert body["name"] == "Left shoulder mole"
    assert body["bodySite"] == {"view": "back", "x": 0.3, "y": 0.2}
    assert [i["fileName"] for i in body["images"]] == ["first.jpg", "second.jpg"]
    assert body["imageCount"] == 2 and body["latest"]["fileName"] == "second.jpg"
    assert all(i["spotId"] == spot_id and i["measures"] is not None for i in body["images"])
    # Blue (benign) then red (malignant): the estimate crossed the threshold, and the colour changed.
    kinds = {c["kind"] for c in body["changes"]}
    assert {"estimate", "colour"} <= kinds
    assert all(c["from"] == "first.jpg" and c["to"] == "second.jpg" and c["notable"] for c in body["changes"])
    first, second = body["images"]
    for change in body["changes"]:
        assert (change["fromUploadedAt"], change["toUploadedAt"]) == (first["uploadedAt"], second["uploadedAt"])
        assert (change["fromClassification"], change["toClassification"]) == ("BENIGN", "MALIGNANT")
        assert "ΔE" not in change["message"]
    by_kind = {c["kind"]: c for c in body["changes"]}
    assert by_kind["estimate"]["direction"] == "up" and by_kind["colour"]["direction"] is None
    assert "colour changed noticeably between" in by_kind["colour"]["message"]
    if first["uploadedAt"][:16] == second["uploadedAt"][:16]:  # uploaded within the same minute
        assert "between two photos taken on" in by_kind["colour"]["message"]
    assert body["summary"]["level"] == "worrying" and body["summary"]["basedOn"] == "second.jpg"
    assert "most worrying" in body["summary"]["message"]

    listed = client.get("/images", headers=auth).json()["items"]
    assert {i["fileName"]: i["spotId"] for i in listed} == {
        "first.jpg": spot_id,
        "second.jpg": spot_id,
        "elsewhere.jpg": None,
    }
    assert client.get("/detect/first.jpg", headers=auth).json()["spotId"] == spot_id
    spots = client.get("/spots", headers=auth).json()
    assert spots["total"] == 1 and spots["items"][0]["imageCount"] == 2


def test_a_retake_that_looks_harmless_does_not_make_the_spot_reassuring(
    client: TestClient, auth: dict[str, str]
) -> None:
    spot_id = _make_spot(client, auth)
    client.put(f"/images/a.jpg?spotId={spot_id}", content=image_bytes(RED), headers=auth)
    wait_for_label(lambda: client.get("/detect/a.jpg", headers=auth))
    client.put(f"/images/b.jpg?spotId={spot_id}", content=image_bytes(BLUE), headers=auth)
    assert wait_for_label(lambda: client.get("/detect/b.jpg", headers=auth)).json()["classification"] == "BENIGN"
    summary = client.get(f"/spots/{spot_id}", headers=auth).json()["summary"]
    assert summary["level"] == "worrying" and summary["basedOn"] == "a.jpg"


def test_another_persons_spot_is_not_found(
    client: TestClient, auth: dict[str, str], other_auth: dict[str, str]
) -> None:
    spot_id = _make_spot(client, auth)
    for method, path in [
        ("GET", f"/spots/{spot_id}"),
        ("PATCH", f"/spots/{spot_id}"),
        ("DELETE", f"/spots/{spot_id}"),
        ("GET", f"/spots/{spot_id}/report.pdf"),
        ("POST", f"/spots/{spot_id}/shares"),
    ]:
        answer = client.request(method, path, json={}, headers=other_auth)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["detail"].startswith("No spot")
    upload = client.put(f"/images/x.jpg?spotId={spot_id}", content=image_bytes(), headers=other_auth)
    assert upload.status_code == 404 and upload.json()["detail"].startswith("No spot")
    assert client.get("/images", headers=other_auth).json()["total"] == 0


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("   ", "needs a name"),
        ("a\x07b", "control character (U+0007)"),
        ("x" * 81, "at most 80"),
        ("mole\u202egnp.exe", "invisible or control character (U+202E)"),
        ("mo\u200ble", "invisible or control character (U+200B)"),
        ("\u2066mole", "invisible or control character (U+2066)"),
        ("mole\ufeff", "invisible or control character (U+FEFF)"),
    ],
)
def test_a_bad_name_is_refused_in_plain_words(
    client: TestClient, auth: dict[str, str], name: str, fragment: str
) -> None:
    answer = client.post("/spots", json={"name": name}, headers=auth)
    assert answer.status_code == 422
    assert fragment in str(answer.json()["detail"])


def test_rename_move_and_forget_the_place(client: TestClient, auth: dict[str, str]) -> None:
    spot_id = _make_spot(client, auth)
    renamed = client.patch(f"/spots/{spot_id}", json={"name": "  Mole on the back  "}, headers=auth)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Mole on the back" and renamed.json()["bodySite"]["view"] == "back"
    forgotten = client.patch(f"/spots/{spot_id}", json={"bodySite": None}, headers=auth).json()
    assert forgotten["bodySite"] is None and forgotten["name"] == "Mole on the back"
    bad = client.patch(f"/spots/{spot_id}", json={"bodySite": {"view": "side", "x": 2, "y": 0}}, headers=auth)
    assert bad.status_code == 422


def test_answers_are_stored_with_the_photo(client: TestClient, auth: dict[str, str]) -> None:
    spot_id = _make_spot(client, auth)
    client.put(f"/images/a.jpg?spotId={spot_id}", content=image_bytes(), headers=auth)
    answered = client.put("/images/a.jpg/answers", json={"grown": True, "itches": False}, headers=auth)
    assert answered.status_code == 200, answered.text
    expected = {"grown": True, "changed": None, "bleeds": None, "itches": False, "hurts": None, "raised": None}
    assert answered.json() == expected
    assert client.get(f"/spots/{spot_id}", headers=auth).json()["images"][0]["answers"] == expected
    assert client.put("/images/none.jpg/answers", json={}, headers=auth).status_code == 404
    # Still an ordinary image name for the image routes.
    assert client.get("/images/a.jpg", headers=auth).status_code == 200


def test_a_misspelt_field_is_refused_and_changes_nothing(client: TestClient, auth: dict[str, str]) -> None:
    spot_id = _make_spot(client, auth)
    client.put(f"/images/a.jpg?spotId={spot_id}", content=image_bytes(), headers=auth)
    client.put("/images/a.jpg/answers", json={"grown": True}, headers=auth)

    misspelt = client.put("/images/a.jpg/answers", json={"bleed": True}, headers=auth)
    assert misspelt.status_code == 422
    assert misspelt.json()["detail"][0]["loc"] == ["body", "bleed"]
    assert client.get("/images/a.jpg/answers", headers=auth).json()["grown"] is True
    renamed = client.patch(f"/spots/{spot_id}", json={"nmae": "Right shoulder"}, headers=auth)
    assert renamed.status_code == 422
    assert client.get(f"/spots/{spot_id}", headers=auth).json()["name"] == "Left shoulder mole"


def test_a_warning_sign_in_the_answers_makes_a_harmless_looking_spot_worrying(
    client: TestClient, auth: dict[str, str]
) -> None:
    spot_id = _make_spot(client, auth)
    client.put(f"/images/a.jpg?spotId={spot_id}", content=image_bytes(BLUE), headers=auth)
    assert wait_for_label(lambda: client.get("/detect/a.jpg", headers=auth)).json()["classification"] == "BENIGN"
    assert client.get(f"/spots/{spot_id}", headers=auth).json()["summary"]["level"] == "reassuring"

    client.put("/images/a.jpg/answers", json={"changed": True}, headers=auth)
    summary = client.get(f"/spots/{spot_id}", headers=auth).json()["summary"]
    assert summary["level"] == "worrying" and summary["basedOn"] == "a.jpg"
    assert "has changed in shape or colour" in summary["message"]
    due = {r["spotId"]: r for r in client.get("/reminders", headers=auth).json()["items"] if r.get("spotId")}
    assert due[spot_id]["title"] == "See a dermatologist about 'Left shoulder mole'"


def test_the_report_speaks_the_persons_time_zone(client: TestClient, auth: dict[str, str]) -> None:
    spot_id = _make_spot(client, auth, "Łódź Ελένη Юлия")
    hex_name = "3f2a9c0d5b8e4f7a9c1d2e3f4a5b6c7d.jpg"
    client.put(f"/images/{hex_name}?spotId={spot_id}", content=image_bytes(RED), headers=auth)
    wait_for_label(lambda: client.get(f"/detect/{hex_name}", headers=auth))
    uploaded = datetime.fromisoformat(client.get(f"/spots/{spot_id}", headers=auth).json()["images"][0]["uploadedAt"])
    local = uploaded.astimezone(ZoneInfo("Asia/Tokyo"))

    report = client.get(f"/spots/{spot_id}/report.pdf", params={"tz": "Asia/Tokyo"}, headers=auth)
    assert report.status_code == 200, report.text
    text = _pdf_text(report.content)
    assert f"Photo 1 of 1: {local.day} {local:%B %Y, %H:%M} JST" in text
    assert "Łódź Ελένη Юлия" in text and "Where: left shoulder (back)." in text
    assert re.search(r"[0-9a-fA-F]{16,}", text) is None and "L*" not in text
    spot = client.get(f"/spots/{spot_id}", params={"tz": "Asia/Tokyo"}, headers=auth).json()
    assert f"{local:%H:%M} JST" in spot["summary"]["message"]
    assert "times are in UTC" in _pdf_text(client.get(f"/spots/{spot_id}/report.pdf", headers=auth).content)

    token = client.post(f"/spots/{spot_id}/shares", headers=auth).json()["token"]
    shared = client.get(f"/shared/{token}/report.pdf", params={"tz": "Asia/Tokyo"})
    assert f"Photo 1 of 1: {local.day} {local:%B %Y, %H:%M} JST" in _pdf_text(shared.content)
    for path in (f"/spots/{spot_id}/report.pdf", f"/spots/{spot_id}", "/spots", f"/shared/{token}/report.pdf"):
        refused = client.get(path, params={"tz": "Mars/Olympus"}, headers=auth)
        assert refused.status_code == 422, (path, refused.text)
        assert refused.json()["detail"].startswith("Unknown time zone 'Mars/Olympus'")


def test_the_report_holds_the_name_the_recommendation_and_the_disclaimer(
    client: TestClient, auth: dict[str, str]
) -> None:
    spot_id = _make_spot(client, auth, "Zoë's left shoulder mole")
    _two_photos(client, auth, spot_id)
    report = client.get(f"/spots/{spot_id}/report.pdf", headers=auth)
    assert report.status_code == 200
    assert report.headers["content-type"] == "application/pdf"
    assert report.headers["content-disposition"] == 'attachment; filename="spotcheck-zoe-s-left-shoulder-mole.pdf"'
    text = _pdf_text(report.content)
    assert "Zoë's left shoulder mole" in text
    assert recommendation_for(Classification.MALIGNANT) in text
    assert recommendation_for(Classification.BENIGN) in text
    assert DISCLAIMER in text


def test_a_share_link_reads_the_spot_until_it_is_revoked(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    spot_id = _make_spot(client, auth)
    _two_photos(client, auth, spot_id)
    other_spot = _make_spot(client, auth, "Other")
    client.put(f"/images/other.jpg?spotId={other_spot}", content=image_bytes(), headers=auth)

    made = client.post(f"/spots/{spot_id}/shares", json={"expiresInDays": 7}, headers=auth)
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert made.json()["url"] == f"/share/{token}"
    with runtime.engine.connect() as conn:
        stored = [r.token_hash for r in conn.execute(spot_shares.select())]
    assert stored == [hash_token(token)] and token not in stored

    public = client.get(f"/shared/{token}")  # no sign-in
    assert public.status_code == 200, public.text
    assert [i["fileName"] for i in public.json()["images"]] == ["first.jpg", "second.jpg"]
    assert "ada@example.org" not in public.text
    assert (
        client.get(f"/shared/{token}/images/first.jpg").content == client.get("/images/first.jpg", headers=auth).content
    )
    assert client.get(f"/shared/{token}/images/other.jpg").status_code == 404
    assert client.get(f"/shared/{token}/report.pdf").headers["content-type"] == "application/pdf"
    assert client.get(f"/share/{token}").headers["content-type"].startswith("text/html")

    listed = client.get(f"/spots/{spot_id}/shares", headers=auth).json()["items"]
    assert len(listed) == 1 and "token" not in listed[0]
    assert client.delete(f"/spots/{spot_id}/shares", headers=auth).status_code == 204
    for path in (f"/shared/{token}", f"/shared/{token}/images/first.jpg", f"/shared/{token}/report.pdf"):
        assert client.get(path).status_code == 404
    assert client.get(f"/spots/{spot_id}/shares", headers=auth).json()["items"] == []


def test_an_expired_or_unknown_link_is_not_found(client: TestClient, auth: dict[str, str], runtime: Runtime) -> None:
    spot_id = _make_spot(client, auth)
    token = client.post(f"/spots/{spot_id}/shares", headers=auth).json()["token"]
    assert client.get(f"/shared/{token}").status_code == 200
    with runtime.engine.begin() as conn:
        conn.execute(update(spot_shares).values(expires_at=utc_now() - timedelta(seconds=1)))
    assert client.get(f"/shared/{token}").status_code == 404
    assert client.get(f"/shared/{token[:-1]}x").status_code == 404
    assert client.post(f"/spots/{spot_id}/shares", json={"expiresInDays": 91}, headers=auth).status_code == 422


def test_deleting_a_spot_removes_its_photos_objects_and_links(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    spot_id = _make_spot(client, auth)
    _two_photos(client, auth, spot_id)
    client.put("/images/kept.jpg", content=image_bytes(), headers=auth)
    token = client.post(f"/spots/{spot_id}/shares", headers=auth).json()["token"]
    assert client.delete(f"/spots/{spot_id}", headers=auth).status_code == 204
    assert client.get(f"/spots/{spot_id}", headers=auth).status_code == 404
    assert client.get(f"/shared/{token}").status_code == 404
    assert [i["fileName"] for i in client.get("/images", headers=auth).json()["items"]] == ["kept.jpg"]
    keys = {info.key.rsplit("/", 1)[-1] for info in runtime.store.list("users/")}
    assert keys == {"kept.jpg"}


def test_reminders_follow_each_spots_latest_photo(client: TestClient, auth: dict[str, str]) -> None:
    flagged = _make_spot(client, auth, "Flagged")
    client.put(f"/images/red.jpg?spotId={flagged}", content=image_bytes(RED), headers=auth)
    wait_for_label(lambda: client.get("/detect/red.jpg", headers=auth))
    calm = _make_spot(client, auth, "Calm")
    client.put(f"/images/blue.jpg?spotId={calm}", content=image_bytes(BLUE), headers=auth)
    wait_for_label(lambda: client.get("/detect/blue.jpg", headers=auth))
    today = utc_now().date()

    items = client.get("/reminders", headers=auth).json()["items"]
    assert items[0]["kind"] == "self-check" and items[0]["spotId"] is None
    due = {i["spotId"]: i["due"] for i in items[1:]}
    assert due == {flagged: str(today + timedelta(days=14)), calm: str(today + timedelta(days=30))}
    titles = {i["spotId"]: i["title"] for i in items[1:]}
    assert titles == {flagged: "See a dermatologist about 'Flagged'", calm: "Re-check 'Calm'"}
    advice = {i["spotId"]: i["advice"] for i in items[1:]}
    assert "dermatologist within 2 weeks" in advice[flagged] and "next check-up" in advice[calm]

    ics = client.get("/reminders.ics", headers=auth)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert len(events) == 3
    assert [dict(e["RRULE"]) for e in events if "RRULE" in e] == [{"FREQ": ["MONTHLY"]}]
    assert {e["DTSTART"].dt for e in events if "RRULE" not in e} == {
        today + timedelta(days=14),
        today + timedelta(days=30),
    }


def test_spot_routes_need_a_sign_in(client: TestClient) -> None:
    for path in ("/spots", "/reminders", "/reminders.ics", "/account", "/account/export"):
        assert client.get(path).status_code == 401


def test_answers_can_be_read_back_and_forgotten(client: TestClient, auth: dict[str, str]) -> None:
    client.put("/images/a.jpg", content=image_bytes(), headers=auth)
    assert client.get("/images/a.jpg/answers", headers=auth).status_code == 404
    client.put("/images/a.jpg/answers", json={"raised": True}, headers=auth)
    assert client.get("/images/a.jpg/answers", headers=auth).json()["raised"] is True
    assert client.delete("/images/a.jpg/answers", headers=auth).status_code == 204
    assert client.get("/images/a.jpg/answers", headers=auth).status_code == 404
    assert client.get("/images/a.jpg", headers=auth).status_code == 200  # the photo stays
    assert client.delete("/images/gone.jpg/answers", headers=auth).status_code == 404
    strict = client.put("/images/a.jpg/answers", json={"grown": "yes"}, headers=auth)
    assert strict.status_code == 422


def test_a_photo_moves_into_a_spot_and_out_again(client: TestClient, auth: dict[str, str], runtime: Runtime) -> None:
    calm = _make_spot(client, auth, "Calm")
    client.put(f"/images/blue.jpg?spotId={calm}", content=image_bytes(BLUE), headers=auth)
    client.put("/images/red.jpg", content=image_bytes(RED), headers=auth)
    for name in ("blue.jpg", "red.jpg"):
        wait_for_label(lambda name=name: client.get(f"/detect/{name}", headers=auth))
    client.put("/images/red.jpg/answers", json={"grown": True}, headers=auth)
    stored = client.get("/images/red.jpg", headers=auth).content
    assert client.get(f"/spots/{calm}", headers=auth).json()["summary"]["level"] == "reassuring"

    moved = client.put("/images/red.jpg/spot", json={"spotId": calm}, headers=auth)
    assert moved.status_code == 200, moved.text
    listed = {i["fileName"]: i for i in client.get("/images", headers=auth).json()["items"]}
    assert moved.json() == listed["red.jpg"]
    assert moved.json()["spotId"] == calm and moved.json()["classification"] == "MALIGNANT"
    detail = client.get(f"/spots/{calm}", headers=auth).json()
    assert [i["fileName"] for i in detail["images"]] == ["blue.jpg", "red.jpg"]
    assert detail["images"][1]["answers"]["grown"] is True
    assert detail["summary"]["level"] == "worrying" and detail["summary"]["basedOn"] == "red.jpg"
    assert {c["to"] for c in detail["changes"]} == {"red.jpg"}
    due = {r["spotId"]: r for r in client.get("/reminders", headers=auth).json()["items"]}
    assert due[calm]["title"] == "See a dermatologist about 'Calm'"

    out = client.put("/images/red.jpg/spot", json={"spotId": None}, headers=auth)
    assert out.status_code == 200 and out.json()["spotId"] is None
    detail = client.get(f"/spots/{calm}", headers=auth).json()
    assert [i["fileName"] for i in detail["images"]] == ["blue.jpg"] and detail["changes"] == []
    assert detail["summary"]["level"] == "reassuring"
    assert client.get("/detect/red.jpg", headers=auth).json()["classification"] == "MALIGNANT"
    assert client.get("/images/red.jpg", headers=auth).content == stored
    assert client.get("/images/red.jpg/answers", headers=auth).json()["grown"] is True


def test_moving_a_photo_refuses_what_is_not_the_callers(
    client: TestClient, auth: dict[str, str], other_auth: dict[str, str]
) -> None:
    mine = _make_spot(client, auth, "Mine")
    client.put("/images/a.jpg", content=image_bytes(), headers=auth)
    theirs = client.post("/spots", json={"name": "Theirs"}, headers=other_auth).json()["id"]
    client.put("/images/b.jpg", content=image_bytes(), headers=other_auth)

    for file_name, spot_id, who in [
        ("a.jpg", theirs, "spot"),  # my photo into their spot
        ("b.jpg", mine, "image"),  # their photo into my spot
        ("missing.jpg", mine, "image"),
        ("a.jpg", "0" * 32, "spot"),
    ]:
        answer = client.put(f"/images/{file_name}/spot", json={"spotId": spot_id}, headers=auth)
        assert answer.status_code == 404, (file_name, spot_id, answer.text)
        assert answer.json()["detail"].startswith("No spot" if who == "spot" else "No image"), answer.text
    assert client.put("/images/b.jpg/spot", json={"spotId": None}, headers=auth).status_code == 404
    assert client.get("/images/b.jpg", headers=other_auth).status_code == 200
    assert [i["spotId"] for i in client.get("/images", headers=auth).json()["items"]] == [None]
    assert client.get(f"/spots/{theirs}", headers=other_auth).json()["imageCount"] == 0


@pytest.mark.parametrize("body", [{}, {"spotId": 5}, {"spotId": "x" * 65}, {"spot": None}, [], None])
def test_moving_a_photo_needs_a_spot_id_or_null(client: TestClient, auth: dict[str, str], body: object) -> None:
    client.put("/images/a.jpg", content=image_bytes(), headers=auth)
    answer = client.put("/images/a.jpg/spot", json=body, headers=auth)
    assert answer.status_code == 422, answer.text
    assert client.get("/images", headers=auth).json()["items"][0]["fileName"] == "a.jpg"


def test_moving_a_photo_keeps_the_file_name_rules(client: TestClient, auth: dict[str, str]) -> None:
    assert client.put("/images/%ff.jpg/spot", json={"spotId": None}, headers=auth).status_code == 400
    # Never an upload of an image named "a.jpg/spot".
    assert client.put("/images/a.jpg/spot", content=image_bytes(), headers=auth).status_code == 422
    assert client.get("/images", headers=auth).json()["total"] == 0
    assert client.put("/images/a.jpg/spot", json={"spotId": None}).status_code == 401


def test_spots_and_reminders_come_in_pages(client: TestClient, auth: dict[str, str]) -> None:
    made = [client.post("/spots", json={"name": f"Spot {n}"}, headers=auth).json()["id"] for n in range(3)]
    whole = client.get("/spots", headers=auth).json()
    assert (whole["total"], whole["limit"], whole["offset"]) == (3, 100, 0)
    assert [s["id"] for s in whole["items"]] == made
    first = client.get("/spots", params={"limit": 2}, headers=auth).json()
    rest = client.get("/spots", params={"limit": 2, "offset": 2}, headers=auth).json()
    assert [s["id"] for s in first["items"] + rest["items"]] == made
    assert (rest["total"], rest["limit"], rest["offset"]) == (3, 2, 2)
    reminders = client.get("/reminders", headers=auth).json()
    assert (reminders["total"], reminders["limit"], reminders["offset"]) == (len(reminders["items"]), 100, 0)
    page = client.get("/reminders", params={"limit": 1, "offset": 1}, headers=auth).json()
    assert page["items"] == reminders["items"][1:2] and page["total"] == reminders["total"]
    for path in ("/spots", "/reminders"):
        assert client.get(path, params={"limit": 101}, headers=auth).status_code == 422
        assert client.get(path, params={"limit": 0}, headers=auth).status_code == 422
