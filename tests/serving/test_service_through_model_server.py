"""`spotcheck serve` with SPOTCHECK_MODEL_URL: photos labelled through a real model server process, and
nothing lost while that server is SIGKILLed and brought back."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, select

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from live_server import LiveServer
from model_server import ModelServer
from spotcheck.db import jobs

pytestmark = pytest.mark.slow

DATA_DIR = (Path(__file__).resolve().parents[2] / "../shared/datasets/ham10000-200x150/images").resolve()
MELANOMA = DATA_DIR / "ISIC_0024310.jpg"
NEVUS = DATA_DIR / "ISIC_0024365.jpg"


def test_uploads_wait_out_a_killed_model_server_and_are_labelled_once_it_is_back(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    if not MELANOMA.is_file():
        pytest.skip(f"the shared data set is not at {DATA_DIR}")
    model = ModelServer(log_dir=tmp_path).start()
    try:
        version = httpx.get(f"{model.url}/v2/models/spotcheck-lesion").json()["versions"][0]
        # SPOTCHECK_MODEL_PATH names the tiny model: a label with the shipped model's version came through the server.
        env = {"SPOTCHECK_MODEL_URL": model.url, "SPOTCHECK_MODEL_TIMEOUT_SECONDS": "20"}
        with (
            LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as api,
            httpx.Client(base_url=api.url, timeout=10) as client,
        ):
            auth = register_and_sign_in(client, "remote@example.org")
            assert client.put("/images/mel.jpg", content=MELANOMA.read_bytes(), headers=auth).status_code == 202
            labelled = wait_for_label(lambda: client.get("/detect/mel.jpg", headers=auth), timeout=60)
            assert labelled.status_code == 200, labelled.text
            assert labelled.json()["classification"] == "MALIGNANT"
            assert labelled.json()["modelVersion"] == version
            # The tiny model has no heatmap output: this map was drawn by the model server.
            heatmap = client.get("/images/mel.jpg/heatmap", headers=auth)
            assert heatmap.status_code == 200, heatmap.text
            assert heatmap.headers["content-type"] == "image/png"
            with Image.open(io.BytesIO(heatmap.content)) as drawn, Image.open(MELANOMA) as photo:
                assert (drawn.mode, drawn.size) == ("L", photo.size)

            model.kill()
            started = time.monotonic()
            ready = client.get("/readyz")
            assert time.monotonic() - started < 5
            assert ready.status_code == 503
            assert ready.json()["checks"]["model server"].startswith(("error: model server", "timeout"))
            unavailable = client.get("/images/mel.jpg/heatmap", headers=auth)
            assert unavailable.status_code == 503 and unavailable.headers["Retry-After"]
            assert "model server is unavailable" in unavailable.json()["detail"]
            for name in ("nevus.jpg", "mel2.jpg"):
                photo = NEVUS if name == "nevus.jpg" else MELANOMA
                assert client.put(f"/images/{name}", content=photo.read_bytes(), headers=auth).status_code == 202
            time.sleep(3)  # the workers meet the outage
            assert client.get("/detect/nevus.jpg", headers=auth).status_code == 202

            model.start()
            nevus = wait_for_label(lambda: client.get("/detect/nevus.jpg", headers=auth), timeout=90)
            again = wait_for_label(lambda: client.get("/detect/mel2.jpg", headers=auth), timeout=90)
            assert (nevus.status_code, again.status_code) == (200, 200)
            assert (nevus.json()["classification"], again.json()["classification"]) == ("BENIGN", "MALIGNANT")
            assert nevus.json()["modelVersion"] == version
            assert client.get("/readyz").status_code == 200
        engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'spotcheck.db'}")
        with engine.connect() as conn:
            outcomes = conn.execute(select(jobs.c.status, jobs.c.attempts)).all()
        engine.dispose()
        assert len(outcomes) == 3 and all(status == "done" for status, _ in outcomes)
        # Once the workers know the server is down they claim nothing: a job claimed just before
        # that is the only kind to have spent an attempt on the outage.
        assert all(attempts <= 2 for _, attempts in outcomes)
    finally:
        model.stop()
