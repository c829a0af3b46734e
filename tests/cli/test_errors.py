"""Each class of failure: one line on stderr (what went wrong, what to do), nothing on stdout, its exit code.

0 ok, 1 API error, 2 usage error, 3 job failed, 4 wait timed out (130, interrupted, is in test_processes.py). Every
invocation is also checked for the absence of the key and of any traceback (`Invoke` does it).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from miraflow import MiraflowError
from miraflow_mock.testing import SimulatorHandle

from .conftest import KEY, PHOTO, SCALE, VIDEO_AVATAR, WRONG_KEY, Invoke, assert_one_line_error, env_for

CREATE = "/api/video/create"


def _create_count(sim: SimulatorHandle) -> int:
    return sim.count_requests("POST", CREATE)


# --- 2: usage errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create", "--text", "hi"], "Missing option '--avatar'"),
        (["create", "-a", PHOTO], "either --text or --text-file"),
        (["create", "-a", PHOTO, "-t", "hi", "--text-file", "x.txt"], "either --text or --text-file"),
        (["create", "-a", PHOTO, "-t", "   "], "the script is empty"),
        (["create", "-a", PHOTO, "--text-file", "/nonexistent/script.txt"], "--text-file"),
        (["create", "-a", PHOTO, "-t", "hi", "--bogus"], "No such option"),
        (["create", "-a", PHOTO, "-t", "hi", "--wait", "--timeout", "-1"], "--timeout"),
        (["frobnicate"], "No such command"),
        (["status"], "Missing argument 'JOB_ID'"),
        (["upload", "/nonexistent.wav", "-a", PHOTO], "AUDIO"),
        (["download", "v1", "--out", "/nonexistent/folder/file.mp4"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    sim: SimulatorHandle, invoke: Invoke, args: list[str], says: str, tmp_path: Path
) -> None:
    line = assert_one_line_error(invoke(*args, env=env_for(sim)), 2)
    assert says in line
    assert _create_count(sim) == 0


def test_a_file_that_is_not_audio_is_a_usage_error(sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio", encoding="utf-8")
    line = assert_one_line_error(invoke("upload", str(notes), "-a", PHOTO, env=env_for(sim)), 2)
    assert "audio" in line
    assert sim.requests() == [] or _create_count(sim) == 0


def test_no_key_is_a_usage_error_naming_the_flag_and_the_variable(invoke: Invoke) -> None:
    line = assert_one_line_error(invoke("avatars"), 2)
    assert "--api-key" in line and "MIRAFLOW_API_KEY" in line


def test_a_malformed_base_url_is_a_usage_error(invoke: Invoke) -> None:
    line = assert_one_line_error(invoke("avatars", "--api-key", KEY, "--base-url", "ftp://example.com"), 2)
    assert "--base-url" in line


def test_full_background_with_a_video_avatar_is_refused_before_any_create(sim: SimulatorHandle, invoke: Invoke) -> None:
    result = invoke("create", "-a", VIDEO_AVATAR, "-t", "Hello.", "--full-background", "--wait", env=env_for(sim))
    line = assert_one_line_error(result, 2)
    assert "video avatar" in line and "--full-background" in line and "no credits were spent" in line
    assert _create_count(sim) == 0
    assert sim.jobs() == []


def test_json_mode_errors_are_one_json_object_on_stdout(sim: SimulatorHandle, invoke: Invoke) -> None:
    # Before: stdout was empty on a failure with --json; a program had only the exit code and a line meant for people.
    result = invoke("create", "-a", "Nobody", "-t", "hi", "--json", env=env_for(sim))
    line = assert_one_line_error(result, 1, json_error=True)
    document = json.loads(result.stdout)
    assert document["error"]["type"] == "NotFoundError" and document["job"] is None
    assert "'Nobody'" in document["error"]["message"] and "'Nobody'" in line

    unknown = invoke("status", "no-such-job", "--json", env=env_for(sim))
    assert_one_line_error(unknown, 1, json_error=True)
    error = json.loads(unknown.stdout)
    assert error["error"]["status"] == 404 and error["job"] == {"jobId": "no-such-job"}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["avatars", "--json"], 2),  # no key
        (["create", "-a", PHOTO, "-t", "hi", "--json", "--bogus"], 2),  # a parse error
        (["batch", "status", "/nonexistent/campaign", "--json"], 2),
        (["batch", "report", "/nonexistent/campaign", "--json"], 2),
    ],
)
def test_every_failure_with_json_is_one_json_object(invoke: Invoke, args: list[str], code: int) -> None:
    result = invoke(*args)
    stderr = result.stderr.splitlines()
    assert result.exit_code == code and len(stderr) == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["error"]["exitCode"] == code and document["error"]["message"] in stderr[0]
    assert document["error"]["type"] in ("UsageError", "MissingAPIKeyError", "FileNotFoundError")


# --- 1: API errors --------------------------------------------------------------------------------------------------


def test_a_refused_key_exits_1(sim: SimulatorHandle, invoke: Invoke) -> None:
    line = assert_one_line_error(invoke("avatars", env=env_for(sim, key=WRONG_KEY)), 1)
    assert "401" in line and "--api-key" in line


def test_an_unknown_avatar_exits_1_before_any_create(sim: SimulatorHandle, invoke: Invoke) -> None:
    line = assert_one_line_error(invoke("create", "-a", "Nobody", "-t", "Hello.", env=env_for(sim)), 1)
    assert "'Nobody'" in line and "Margot" in line  # says which avatars exist
    assert _create_count(sim) == 0


def test_an_unknown_job_exits_1(sim: SimulatorHandle, invoke: Invoke) -> None:
    line = assert_one_line_error(invoke("status", "no-such-job", env=env_for(sim)), 1)
    assert "404" in line


def test_an_unknown_voice_exits_1_before_any_create(sim: SimulatorHandle, invoke: Invoke) -> None:
    line = assert_one_line_error(invoke("create", "-a", PHOTO, "-t", "Hi.", "--voice", "Nobody", env=env_for(sim)), 1)
    assert "Nova" in line
    assert _create_count(sim) == 0


def test_not_enough_credits_exits_1(sim: SimulatorHandle, invoke: Invoke) -> None:
    sim.set_credits(KEY, 0)
    line = assert_one_line_error(invoke("create", "-a", PHOTO, "-t", "Hi.", env=env_for(sim)), 1)
    assert "not enough credits" in line and "no credits were spent" in line


def test_a_server_error_exits_1_after_the_retries(sim: SimulatorHandle, invoke: Invoke) -> None:
    sim.add_fault(operationId="listAvatars", status=503, retryAfter=0.01, count=10)
    line = assert_one_line_error(invoke("avatars", env=env_for(sim)), 1)
    assert "503" in line and "try again" in line


def test_an_unreachable_api_exits_1(invoke: Invoke) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = assert_one_line_error(invoke("avatars", "--api-key", KEY, "--base-url", f"http://127.0.0.1:{port}/api"), 1)
    assert "cannot reach" in line and "--base-url" in line


# --- 3: job failed, 4: wait timed out -------------------------------------------------------------------------------


def test_a_failed_job_exits_3(failing_sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    env = env_for(failing_sim)
    args = ["create", "-a", PHOTO, "-t", "Hi.", "--download", str(tmp_path), "--time-scale", str(SCALE)]
    failed = invoke(*args, "--json", env=env)
    line = assert_one_line_error(failed, 3, json_error=True)
    assert "ended in inference_" in line and "No video was made" in line
    assert list(tmp_path.iterdir()) == []
    (job,) = failing_sim.jobs()
    document = json.loads(failed.stdout)
    assert document["error"]["type"] == "JobFailedError" and document["error"]["status"] is None
    assert document["job"]["jobId"] == job["jobId"] and document["job"]["name"] == "Hi."  # what create said...
    assert document["job"]["outcome"] == "failure" and document["job"]["status"].startswith("inference_")  # ...its end

    waited = invoke("wait", job["jobId"], "--time-scale", str(SCALE), env=env)
    assert_one_line_error(waited, 3, stdout_empty=False)
    assert f"job {job['jobId']}: inference_" in waited.stdout  # the plain progress line of the failed state
    status: dict[str, Any] = json.loads(invoke("status", job["jobId"], "--json", env=env).stdout)
    assert status["outcome"] == "failure" and status["terminal"] is True  # `status` reports it, with exit code 0


def test_a_wait_that_times_out_exits_4(frozen_sim: SimulatorHandle, invoke: Invoke) -> None:
    env = env_for(frozen_sim)
    args = ["create", "-a", PHOTO, "-t", "Hi.", "--wait", "--timeout", "0.3", "--time-scale", str(SCALE)]
    line = assert_one_line_error(invoke(*args, env=env), 4, stdout_empty=False)
    (job,) = frozen_sim.jobs()
    assert f"miraflow wait {job['jobId']}" in line and "keeps running" in line

    again = invoke("wait", job["jobId"], "--timeout", "0.2", "--time-scale", str(SCALE), "--json", env=env)
    assert_one_line_error(again, 4, json_error=True)
    document = json.loads(again.stdout)
    assert document["error"]["type"] == "WaitTimeoutError"
    assert document["job"]["jobId"] == job["jobId"] and document["job"]["terminal"] is False  # the last state seen


def _every_sdk_error() -> list[Exception]:
    """One instance of each error `miraflow` exports, with the fields its CLI line reads."""
    import httpx

    import miraflow
    from miraflow.types import JobState, JobStatus

    request = httpx.Request("GET", "https://miraflow.test/api/video/job-1/status")
    response = httpx.Response(500, request=request)
    failed = JobStatus(job_id="job-1", status=JobState("inference_failed"))
    made: dict[type[Exception], Exception] = {
        miraflow.JobFailedError: miraflow.JobFailedError("job-1", failed),
        miraflow.WaitTimeoutError: miraflow.WaitTimeoutError("job-1", 60.0, None),
        miraflow.JobMayExistError: miraflow.JobMayExistError("connection reset", video_name="hello"),
        miraflow.APIResponseValidationError: miraflow.APIResponseValidationError("bad body", response=response),
        miraflow.IncompleteBodyError: miraflow.IncompleteBodyError("cut short", expected=10, received=5),
    }
    errors = []
    for name in miraflow.__all__:
        kind = getattr(miraflow, name)
        if not (isinstance(kind, type) and issubclass(kind, miraflow.MiraflowError)):
            continue
        if kind in made:
            errors.append(made[kind])
        elif issubclass(kind, miraflow.APIStatusError):
            errors.append(kind("the API said no", status_code=500, response=response))
        else:
            errors.append(kind("it went wrong"))
    return errors


@pytest.mark.parametrize("error", _every_sdk_error(), ids=lambda error: type(error).__name__)
def test_every_sdk_error_has_a_filled_in_line(error: Exception) -> None:
    # The lines are templates (cli/errors.py); a field renamed in the SDK must not leave a template unfillable (the
    # CLI would fall back to the bare error, losing what to do next).
    from miraflow.cli.errors import describe, sdk_template

    assert isinstance(error, MiraflowError)
    sdk_template(error).format(exc=error, where="https://miraflow.test/api", key_env="K", url_env="U")
    failure = describe(error, base_url="https://miraflow.test/api")
    assert failure is not None
    assert failure.message and "{" not in failure.message and "\n" not in failure.message
