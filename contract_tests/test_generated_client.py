"""The generated client (miraflow_client) against the target: every operation parses to a model.

On Prism, every named example of the status response is requested with `Prefer: example=<name>` and must parse to the
variant class of its state.
"""

from __future__ import annotations

import io

import pytest

from contract_tests.conftest import Target
from miraflow.spec import lifecycle, load_spec
from miraflow_client.api.avatars import list_avatars
from miraflow_client.api.media import finalize_media, initialize_media
from miraflow_client.api.videos import (
    create_video,
    download_video,
    get_job_status,
    get_video,
    list_videos,
)
from miraflow_client.api.voices import list_voices
from miraflow_client.models import (
    AvatarList,
    CreateVideoFromAudioRequest,
    CreateVideoRequest,
    CreateVideoResponse,
    JobComplete,
    MediaFinalizeRequest,
    MediaFinalizeResponse,
    MediaInitializeRequest,
    MediaInitializeResponse,
    VideoDetail,
    VideoList,
    VoiceList,
)
from miraflow_client.types import File

STATUS_EXAMPLES = load_spec()["paths"]["/api/video/{jobId}/status"]["get"]["responses"]["200"]["content"][
    "application/json"
]["examples"]


@pytest.mark.prism
def test_every_operation_parses_to_a_model(target: Target) -> None:
    """Each operation called through the generated client returns its success model, never None or an error."""
    with target.client() as client:
        avatars = list_avatars.sync(client=client)
        assert isinstance(avatars, AvatarList) and avatars.avatars
        assert isinstance(list_voices.sync(client=client), VoiceList)
        assert isinstance(list_videos.sync(client=client), VideoList)

        avatar = avatars.avatars[0]
        created = create_video.sync(
            client=client, body=CreateVideoRequest(avatar_id=avatar.id, name="contract", text="Hello there.")
        )
        assert isinstance(created, CreateVideoResponse) and created.result == "success"
        from_audio = create_video.sync(
            client=client, body=CreateVideoFromAudioRequest(avatar_id=avatar.id, name="contract", media_id="m1")
        )
        assert isinstance(from_audio, CreateVideoResponse)

        status = get_job_status.sync(created.job_id, client=client)
        assert status is not None and status.status in lifecycle().states

        with target.client(headers={"Prefer": "example=complete"}) as complete_client:
            complete = get_job_status.sync(created.job_id, client=complete_client)
        assert isinstance(complete, JobComplete)
        assert isinstance(get_video.sync(complete.video_id, client=client), VideoDetail)
        assert isinstance(download_video.sync(complete.video_id, client=client), File)

        init = initialize_media.sync(
            client=client,
            body=MediaInitializeRequest(file_name="a.wav", content_type="audio/wav", file_size=len(b"RIFF")),
        )
        assert isinstance(init, MediaInitializeResponse)
        done = finalize_media.sync(client=client, body=MediaFinalizeRequest(media_id=init.media_id))
        assert isinstance(done, MediaFinalizeResponse) and done.success is True


def test_every_state_has_a_named_example() -> None:
    """The status response has one named example per lifecycle state, so Prism can serve any state."""
    assert sorted(example["value"]["status"] for example in STATUS_EXAMPLES.values()) == sorted(lifecycle().states)


@pytest.mark.prism
@pytest.mark.parametrize("example", sorted(STATUS_EXAMPLES))
def test_named_status_example_parses_to_its_state(target: Target, example: str) -> None:
    """`Prefer: example=<name>` returns that example, and the client parses it to the class of its state."""
    expected = STATUS_EXAMPLES[example]["value"]
    with target.client(headers={"Prefer": f"example={example}"}) as client:
        parsed = get_job_status.sync("job-1", client=client)
    assert parsed is not None
    assert parsed.status == expected["status"]
    assert type(parsed).__name__ == _variant_class_name(expected["status"])
    assert parsed.to_dict() == expected


def _variant_class_name(state: str) -> str:
    """The generated class for a state: the oneOf variant schema whose `status` const is that state."""
    schemas = load_spec()["components"]["schemas"]
    for ref in schemas["JobStatus"]["oneOf"]:
        name: str = ref["$ref"].rsplit("/", 1)[-1]
        if schemas[name]["properties"]["status"]["const"] == state:
            return name
    raise AssertionError(f"no variant for {state}")


def test_file_type_is_binary() -> None:
    """The download's File payload is a binary stream (the video/mp4 response is not dropped by the generator)."""
    assert isinstance(File(payload=io.BytesIO(b"x")).payload, io.BytesIO)


@pytest.mark.stateful
@pytest.mark.creates
def test_generated_client_round_trips_a_real_job(target: Target) -> None:
    """On a stateful target, every response of a real job's life parses with miraflow_client to its model."""
    import time

    from contract_tests.observe import JobObserver, wait_until_terminal

    with target.client() as client:
        avatars = list_avatars.sync(client=client)
        assert isinstance(avatars, AvatarList)
        assert isinstance(list_voices.sync(client=client), VoiceList)
        assert isinstance(list_videos.sync(client=client), VideoList)
        photo = next(avatar for avatar in avatars.avatars if avatar.is_photo)
        target.budget.take()
        created = create_video.sync(
            client=client, body=CreateVideoRequest(avatar_id=photo.id, name="contract round trip", text="Hi there!")
        )
        assert isinstance(created, CreateVideoResponse)
        mode = lifecycle().mode_for(is_photo=True, im2vid_full=None)
        observer = JobObserver(created.job_id, mode, time.monotonic(), time.monotonic())
        deadline = time.monotonic() + mode.duration.max * target.time_scale * 3 + 30
        wait_until_terminal(
            observer,
            client,
            deadline=deadline,
            interval=lambda o: max(0.002, mode.duration.min * target.time_scale / 10),
        )
        complete = get_job_status.sync(created.job_id, client=client)
        assert isinstance(complete, JobComplete)
        detail = get_video.sync(complete.video_id, client=client)
        assert isinstance(detail, VideoDetail) and detail.id == complete.video_id
        assert isinstance(download_video.sync(complete.video_id, client=client), File)
        assert complete.video_id in {video.id for video in list_videos.sync(client=client).videos}  # type: ignore[union-attr]
        init = initialize_media.sync(
            client=client, body=MediaInitializeRequest(file_name="a.wav", content_type="audio/wav", file_size=4)
        )
        assert isinstance(init, MediaInitializeResponse)
