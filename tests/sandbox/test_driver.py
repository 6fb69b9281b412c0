"""The driver plays Slack towards a real Bolt app over signed HTTP; the app's replies
land in the fake Slack."""

from __future__ import annotations

import threading
import time
from typing import Any

from slack_bolt import Ack, Respond, Say
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from promisebot.sandbox import FakeSlack, SlackDriver, selected, sign, state_values
from tests.sandbox.bolt import BoltOverHttp
from tests.slack.bot import SIGNING_SECRET


def test_signature_matches_slack_sdk_verifier() -> None:
    body, timestamp = "token=x&text=police", int(time.time())
    verifier = SignatureVerifier(SIGNING_SECRET)

    assert verifier.is_valid(body, str(timestamp), sign(SIGNING_SECRET, timestamp, body))
    assert not verifier.is_valid(body, str(timestamp), sign("other", timestamp, body))


def test_command_is_acked_and_replies_reach_the_fake(bolt: BoltOverHttp, fake: FakeSlack) -> None:
    @bolt.app.command("/promise")
    def handle_promise(ack: Ack, command: dict[str, Any], say: Say, respond: Respond) -> None:
        ack()
        say(f"{command['user_name']} looked up {command['text']}")
        respond("only you see this")

    response = bolt.driver.command("police", user="U1")

    assert response.status_code == 200
    (post,) = fake.wait_for("chat.postMessage")
    # Bolt's per-request client adds the team_id of the request to every call.
    assert post.args == {"channel": "C_NEWSROOM", "text": "u1 looked up police", "team_id": "T0001"}
    (reply,) = fake.wait_for("response_url")
    assert reply.args["text"] == "only you see this"
    assert reply.args["_url"].endswith("/promise")


def test_bad_old_and_missing_signatures_are_refused(bolt: BoltOverHttp) -> None:
    handled = threading.Event()

    @bolt.app.command("/promise")
    def handle_promise(ack: Ack) -> None:
        handled.set()
        ack()

    assert bolt.driver.signed(signature="v0=bad").command("x").status_code == 401
    assert bolt.driver.signed(timestamp=int(time.time()) - 600).command("x").status_code == 401
    assert bolt.driver.signed(unsigned=True).command("x").status_code == 401
    assert not handled.is_set()


def test_button_press_on_the_last_posted_message(
    bolt: BoltOverHttp, fake: FakeSlack, web_client: WebClient
) -> None:
    blocks = [
        {
            "type": "actions",
            "block_id": "proposal:7",
            "elements": [
                {
                    "type": "button",
                    "action_id": "proposal.approve",
                    "value": "7",
                    "text": {"type": "plain_text", "text": "Approve"},
                }
            ],
        }
    ]
    posted = web_client.chat_postMessage(channel="C_REVIEW", text="Proposal 7", blocks=blocks)

    @bolt.app.action("proposal.approve")
    def handle_approve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        action = body["actions"][0]
        client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"approved {action['value']} in {action['block_id']} by {body['user']['id']}",
        )

    assert (
        bolt.driver.block_action("proposal.approve", "7", user="U2", channel="C_REVIEW").status_code
        == 200
    )

    (update,) = fake.wait_for("chat.update")
    assert update.args["ts"] == posted["ts"]
    assert fake.message("C_REVIEW", posted["ts"])["text"] == "approved 7 in proposal:7 by U2"  # type: ignore[index]


def test_view_submission_errors_come_back_in_the_ack(bolt: BoltOverHttp) -> None:
    @bolt.app.view("propose")
    def handle_propose(ack: Ack, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        if not values["rationale"]["rationale"]["value"]:
            ack(response_action="errors", errors={"rationale": "Say why"})
            return
        ack()

    values = state_values(rationale=None, rating=selected("kept"))
    response = bolt.driver.view_submission("propose", values, private_metadata="12")

    assert response.json() == {"response_action": "errors", "errors": {"rationale": "Say why"}}


def test_thread_reply_and_app_home_events(bolt: BoltOverHttp, fake: FakeSlack) -> None:
    @bolt.app.event("message")
    def handle_message(event: dict[str, Any], say: Say) -> None:
        say(text=f"noted: {event['text']}", thread_ts=event["thread_ts"])

    @bolt.app.event("app_home_opened")
    def handle_home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    reply = bolt.driver.signed(retry_num=1).event(
        bolt.driver.thread_message_event("source: x", channel="C1", thread_ts="1700000000.000100")
    )
    home = bolt.driver.event(bolt.driver.app_home_opened_event("U3"))

    assert reply.status_code == 200 and home.status_code == 200
    (post,) = fake.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == "1700000000.000100"
    (publish,) = fake.wait_for("views.publish")
    assert publish.args["user_id"] == "U3"


def test_payload_builders_without_a_fake() -> None:
    with SlackDriver("http://127.0.0.1:9/slack/events", SIGNING_SECRET) as driver:
        payload = driver.block_action_payload("proposal.approve", "7")

    assert payload["actions"][0]["block_id"] == "b"
    assert payload["response_url"].startswith("https://hooks.slack.com/")
