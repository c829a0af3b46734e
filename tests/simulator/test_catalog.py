"""Your own catalog: `serve --catalog FILE` and `/__admin/avatars`, `/__admin/voices`, checked by the spec's schemas."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from miraflow.spec import business_errors
from miraflow_mock.testing import SimulatorError, SimulatorHandle, start_simulator

MARGOT = "cmdms9d3s001no401kqwbr0q5"
CATALOG_YAML = """
stock: false
avatars:
  - {id: app-avatar-1, name: Ava, voiceId: app-voice-1, isPhoto: true, createdAt: "2025-01-02T03:04:05.000Z"}
  - {id: app-avatar-2, name: Vic, voiceId: app-voice-1, isPhoto: false, tier: gold}
voices:
  - {id: app-voice-1, name: Studio}
tenants:
  - key: sk-demo-2
    avatars:
      - {id: demo2-only, name: Private, voiceId: app-voice-1, isPhoto: true}
  - key: sk-my-app
    name: my-app
    credits: 50
    voices:
      - {id: my-app-voice, name: Mine}
"""


def client(sim: SimulatorHandle, key: str) -> httpx.Client:
    return httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": key}, timeout=30)


def create(http: httpx.Client, avatar: str, **extra: Any) -> httpx.Response:
    return http.post("video/create", json={"avatarId": avatar, "name": "n", "text": "Hello.", **extra})


@pytest.fixture(scope="module")
def catalog_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    path = tmp_path_factory.mktemp("catalog") / "catalog.yaml"
    path.write_text(CATALOG_YAML)
    with start_simulator(
        clock="manual", seed=1, catalog=path, business_errors="4xx"
    ) as sim:  # statuses, not 2xx bodies
        yield sim


def test_a_catalog_file_replaces_the_stock_catalog_per_tenant(catalog_sim: SimulatorHandle) -> None:
    sim = catalog_sim
    with client(sim, "sk-demo-1") as http:
        avatars = http.get("avatars").json()["avatars"]
        assert [avatar["id"] for avatar in avatars] == ["app-avatar-1", "app-avatar-2"]
        assert avatars[0] == {
            "id": "app-avatar-1",
            "name": "Ava",
            "voiceId": "app-voice-1",
            "isPhoto": True,
            "createdAt": "2025-01-02T03:04:05.000Z",
        }
        assert avatars[1]["tier"] == "gold" and avatars[1]["createdAt"]  # served as given; createdAt filled in
        assert http.get("voices").json() == {"voices": [{"id": "app-voice-1", "name": "Studio"}]}
        assert create(http, "app-avatar-1", voiceId="app-voice-1").status_code == 200
        refused = create(http, MARGOT)  # stock: false
        assert refused.status_code == 404 and refused.json()["error"] == "Avatar not found"
        assert create(http, "demo2-only").status_code == 404  # another tenant's own avatar
        assert create(http, "app-avatar-1", voiceId="my-app-voice").json()["error"] == "Voice not found"
    with client(sim, "sk-demo-2") as http:
        assert [a["id"] for a in http.get("avatars").json()["avatars"]][-1] == "demo2-only"
        assert create(http, "demo2-only").status_code == 200
    with client(sim, "sk-my-app") as http:  # a tenant the file adds
        assert create(http, "app-avatar-2", voiceId="my-app-voice").status_code == 200
        assert {v["id"] for v in http.get("voices").json()["voices"]} == {"app-voice-1", "my-app-voice"}
    assert {"name": "my-app", "keyHint": "-app", "credits": 49} in sim.tenants()


def test_admin_api_adds_avatars_and_voices_for_all_or_one_tenant(miraflow_simulator: SimulatorHandle) -> None:
    sim = miraflow_simulator
    mine = {"id": "my-avatar", "name": "Mine", "voiceId": "my-voice", "isPhoto": True}
    sim.load_catalog([mine], [{"id": "my-voice", "name": "My voice"}])
    sim.load_catalog([{**mine, "id": "only-demo-2"}], tenant="demo-2")
    single = httpx.post(f"{sim.admin_url}/__admin/avatars", json={**mine, "id": "single", "isPhoto": False})
    assert single.status_code == 200 and "single" in {a["id"] for a in single.json()["avatars"]}
    with client(sim, sim.keys[0]) as first, client(sim, sim.keys[1]) as second:
        ids = [avatar["id"] for avatar in first.get("avatars").json()["avatars"]]
        assert ids[0] == MARGOT and ids[-2:] == ["my-avatar", "single"]  # stock first, then yours
        assert create(first, "my-avatar", voiceId="my-voice").status_code == 200
        refused = create(first, "only-demo-2")  # a business failure: 2xx or 404, as the spec's x-business-errors says
        assert refused.json() == {"result": "failure", "error": "Avatar not found"}
        assert refused.status_code == (200 if business_errors().default == "2xx" else 404)
        assert create(second, "only-demo-2").json()["result"] == "success"
        listed = sim.admin("GET", "/avatars?tenant=demo-2")["avatars"]
        assert listed[-1]["id"] == "only-demo-2"
        sim.admin("DELETE", "/avatars")
        assert "my-avatar" not in {a["id"] for a in first.get("avatars").json()["avatars"]}
        assert "my-voice" in {v["id"] for v in first.get("voices").json()["voices"]}  # voices stay
        sim.reset()
        assert "my-voice" not in {v["id"] for v in first.get("voices").json()["voices"]}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/avatars", {"id": "x", "name": "X", "voiceId": "v"}, "avatars[0]: 'isPhoto' is required"),
        ("/avatars", {"id": "x", "name": "X", "voiceId": "v", "isPhoto": "yes"}, "avatars[0].isPhoto: 'yes' is not"),
        ("/avatars", {"id": "x", "name": "X", "voiceId": "v", "isPhoto": True, "createdAt": "monday"}, "date-time"),
        ("/avatars", [{"id": "", "name": "X", "voiceId": "v", "isPhoto": True}], "avatars[0].id must not be empty"),
        ("/voices", {"voices": [{"id": "v", "name": "A"}, {"id": "v", "name": "B"}]}, "the id 'v' appears twice"),
        ("/voices", {"id": "v"}, "voices[0]: 'name' is required"),
        ("/voices?tenant=nobody", {"id": "v", "name": "A"}, "no tenant has the name or key 'nobody'"),
    ],
)
def test_bad_catalog_entries_are_refused_in_the_error_shape(
    miraflow_simulator: SimulatorHandle, path: str, body: Any, message: str
) -> None:
    response = httpx.post(f"{miraflow_simulator.admin_url}/__admin{path}", json=body)
    assert response.status_code == 400
    assert response.json()["result"] == "failure" and message in response.json()["error"], response.json()


def test_malformed_admin_json_is_a_400(miraflow_simulator: SimulatorHandle) -> None:
    response = httpx.post(f"{miraflow_simulator.admin_url}/__admin/avatars", content=b"{nope")
    assert response.status_code == 400 and response.json()["error"] == "malformed JSON body"
    with pytest.raises(SimulatorError, match="400"):
        miraflow_simulator.load_catalog([{"id": "x"}])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.yaml", "avatars:\n  - {id: a, name: A, isPhoto: true}\n", "c.yaml: avatars[0]: 'voiceId' is required"),
        ("c.json", '{"voices": [{"id": 1, "name": "x"}]}', "c.json: voices[0].id: 1 is not of type 'string'"),
        ("c.yaml", "avatars: [\n", "c.yaml is not valid YAML"),
        ("c.yaml", "avatar: []\n", "unknown field(s) avatar"),
        ("c.yaml", "tenants:\n  - {key: sk-unknown}\n", "not a --tenant; give it credits to add it"),
    ],
)
def test_a_bad_catalog_file_is_one_line_and_exit_2(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = subprocess.run(
        [sys.executable, "-m", "miraflow_mock", "serve", "--port", "0", "--catalog", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_admin_additions_survive_a_restart_with_state(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    avatar = {"id": "kept", "name": "Kept", "voiceId": "v", "isPhoto": True}
    with start_simulator(clock="manual", state=state) as sim:
        sim.load_catalog([avatar], tenant="demo-1")
    with start_simulator(clock="manual", state=state) as sim, client(sim, sim.key) as http:
        assert json.loads(http.get("avatars").text)["avatars"][-1]["id"] == "kept"


def test_two_tenants_may_have_their_own_avatar_of_the_same_id(miraflow_simulator: SimulatorHandle) -> None:
    sim = miraflow_simulator
    sim.load_catalog([{"id": "same", "name": "Photo", "voiceId": "v", "isPhoto": True}], tenant="demo-1")
    sim.load_catalog([{"id": "same", "name": "Video", "voiceId": "v", "isPhoto": False}], tenant="demo-2")
    with client(sim, sim.keys[0]) as first, client(sim, sim.keys[1]) as second:
        photo_job, video_job = create(first, "same").json()["jobId"], create(second, "same").json()["jobId"]
    modes = {job["jobId"]: job["mode"] for job in sim.jobs()}
    assert (modes[photo_job], modes[video_job]) == ("face_cropped", "video_avatar")
