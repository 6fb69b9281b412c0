"""The real slack_sdk WebClient against the fake Web API: Slack-shaped answers,
recorded calls, and injected rate limits / server errors."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from promisebot.sandbox import FakeSlack

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Promise 12* is stalled"}}]


def test_post_message_is_answered_and_recorded_with_parsed_blocks(
    fake: FakeSlack, web_client: WebClient
) -> None:
    first = web_client.chat_postMessage(channel="C1", text="hi", blocks=BLOCKS)
    second = web_client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])

    assert first["ok"] and first["channel"] == "C1"
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["thread_ts"] == first["ts"]
    assert fake.posted_messages()[0]["blocks"] == BLOCKS
    (call, _) = fake.calls("chat.postMessage")
    assert call.token == "xoxb-test"
    assert "xoxb-test" not in repr(call)
    assert fake.message("C1", first["ts"]) == {**first["message"], "channel": "C1"}


def test_form_encoded_blocks_are_decoded(fake: FakeSlack, web_client: WebClient) -> None:
    web_client.api_call(
        "chat.update", params={"channel": "C1", "ts": "1.2", "blocks": json.dumps(BLOCKS)}
    )

    assert fake.calls("chat.update")[0].args["blocks"] == BLOCKS


def test_auth_views_and_lookups_answer_like_slack(fake: FakeSlack, web_client: WebClient) -> None:
    fake.set_user("U1", name="ana", tz="Europe/Paris")
    fake.set_usergroup("S_EDITORS", ["U1", "U2"])

    auth = web_client.auth_test()
    opened = web_client.views_open(
        trigger_id=fake.issue_trigger_id(),
        view={
            "type": "modal",
            "callback_id": "propose",
            "title": {"type": "plain_text", "text": "x"},
        },
    )
    updated = web_client.views_update(
        view_id=opened["view"]["id"],
        hash=opened["view"]["hash"],
        view={"type": "modal", "blocks": []},
    )

    assert auth["user_id"] == "UBOTUSER" and auth["bot_id"] == "BBOT"
    assert opened["view"]["id"] == "V0001" and opened["view"]["callback_id"] == "propose"
    assert updated["view"]["id"] == "V0001" and updated["view"]["hash"] != opened["view"]["hash"]
    assert web_client.users_info(user="U1")["user"]["tz"] == "Europe/Paris"
    assert web_client.usergroups_users_list(usergroup="S_EDITORS")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as unknown:
        web_client.usergroups_users_list(usergroup="S_NOPE")
    assert unknown.value.response["error"] == "no_such_subteam"
    assert fake.calls("views.open")[0].args["view"]["callback_id"] == "propose"


def test_trigger_id_opens_one_view(fake: FakeSlack, web_client: WebClient) -> None:
    trigger = fake.issue_trigger_id()
    web_client.views_open(trigger_id=trigger, view={"type": "modal", "blocks": []})

    with pytest.raises(SlackApiError) as again:
        web_client.views_open(trigger_id=trigger, view={"type": "modal", "blocks": []})

    assert again.value.response["error"] == "exchanged_trigger_id"


def test_late_trigger_and_stale_hash_are_refused(fake: FakeSlack, web_client: WebClient) -> None:
    opened = web_client.views_open(trigger_id=fake.issue_trigger_id(), view={"type": "modal"})
    web_client.views_update(view_id="V0001", view={"type": "modal", "blocks": []})
    fake.trigger_ttl = 0.0
    late = fake.issue_trigger_id()
    time.sleep(0.01)

    with pytest.raises(SlackApiError) as expired:
        web_client.views_open(trigger_id=late, view={"type": "modal"})
    with pytest.raises(SlackApiError) as stale:
        web_client.views_update(
            view_id="V0001", hash=opened["view"]["hash"], view={"type": "modal"}
        )

    assert expired.value.response["error"] == "expired_trigger_id"
    assert stale.value.response["error"] == "hash_conflict"


def test_too_long_message_is_refused_and_not_counted(
    fake: FakeSlack, web_client: WebClient
) -> None:
    huge = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}] * 5

    with pytest.raises(SlackApiError) as refused:
        web_client.chat_postMessage(channel="C1", text="digest", blocks=huge)

    assert refused.value.response["error"] == "msg_blocks_too_long"
    assert fake.calls("chat.postMessage") == []
    assert fake.failed_calls[0].response["error"] == "msg_blocks_too_long"


def test_rate_limited_post_is_retried_once(fake: FakeSlack) -> None:
    client = WebClient(base_url=fake.api_url, token="xoxb-test")
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail_next("chat.postMessage", status=429, retry_after=0)

    client.chat_postMessage(channel="C1", text="hello")

    assert len(fake.calls("chat.postMessage")) == 1
    (failed,) = fake.failed_calls
    assert failed.method == "chat.postMessage" and failed.response["error"] == "ratelimited"


def test_server_error_is_retried_once(fake: FakeSlack) -> None:
    client = WebClient(base_url=fake.api_url, token="xoxb-test")
    quick = FixedValueRetryIntervalCalculator(0.01)
    client.retry_handlers.append(
        ServerErrorRetryHandler(max_retry_count=1, interval_calculator=quick)
    )
    fake.fail_next("chat.postMessage", status=500)

    client.chat_postMessage(channel="C1", text="hello")

    assert len(fake.calls("chat.postMessage")) == 1
    assert len(fake.failed_calls) == 1


def test_injected_error_without_retry_raises(fake: FakeSlack, web_client: WebClient) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found", times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError):
            web_client.chat_postMessage(channel="C1", text="hello")
    web_client.chat_postMessage(channel="C1", text="hello")

    assert len(fake.failed_calls) == 2 and len(fake.calls("chat.postMessage")) == 1


def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    url = fake.response_url("approve")
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": "done"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer) == {"ok": True}

    (call,) = fake.wait_for("response_url")
    assert call.args == {"text": "done", "_url": url}


def test_wait_for_times_out_with_what_was_seen(fake: FakeSlack, web_client: WebClient) -> None:
    web_client.auth_test()

    with pytest.raises(TimeoutError, match=r"chat.postMessage.*auth.test"):
        fake.wait_for("chat.postMessage", timeout=0.1)


def test_calls_without_token_are_refused(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=fake.api_url).chat_postMessage(channel="C1", text="x")

    assert refused.value.response["error"] == "not_authed"
