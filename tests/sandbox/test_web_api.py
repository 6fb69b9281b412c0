"""Web API methods later features rely on, through the real WebClient: auth.test,
DMs (conversations.open), chat.unfurl, conversations.history and chat.getPermalink."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from promisebot.sandbox import FakeSlack

METADATA = {"event_type": "promise_posted", "event_payload": {"promise_id": 12}}


def test_auth_test_names_the_bot_and_workspace(fake: FakeSlack, web_client: WebClient) -> None:
    plain = web_client.auth_test()
    fake.enterprise_id = "E0001"
    org = web_client.auth_test()

    assert plain["team_id"] == "T0001" and plain["user_id"] == "UBOTUSER"
    assert plain["bot_id"] == "BBOT" and plain["team"] == "Example Newsroom"
    assert plain["url"] == "https://example.slack.com/"
    assert "enterprise_id" not in plain.data
    assert org["enterprise_id"] == "E0001"


def test_conversations_open_gives_a_dm_that_records_posts(
    fake: FakeSlack, web_client: WebClient
) -> None:
    opened = web_client.conversations_open(users="U_ANA")
    again = web_client.conversations_open(users=["U_ANA"], return_im=True)
    posted = web_client.chat_postMessage(channel=opened["channel"]["id"], text="your digest")

    assert opened.data == {"ok": True, "channel": {"id": "DU_ANA"}}
    assert again["already_open"] and again["channel"]["is_im"]
    assert again["channel"]["user"] == "U_ANA"
    assert posted["channel"] == "DU_ANA"
    assert (fake.message("DU_ANA", posted["ts"]) or {}).get("text") == "your digest"
    assert fake.posted_messages()[0]["channel"] == "DU_ANA"


@pytest.mark.parametrize(
    ("user", "code"), [("U_BOT", "cannot_dm_bot"), ("U_GONE", "user_disabled")]
)
def test_conversations_open_refuses_bots_and_disabled_users(
    fake: FakeSlack, web_client: WebClient, user: str, code: str
) -> None:
    fake.set_user("U_BOT", is_bot=True)
    fake.set_user("U_GONE", deleted=True)

    with pytest.raises(SlackApiError) as refused:
        web_client.conversations_open(users=user)

    assert refused.value.response["error"] == code
    assert fake.failed_calls[0].method == "conversations.open"


def test_conversations_open_fails_on_request(fake: FakeSlack, web_client: WebClient) -> None:
    fake.fail_next("conversations.open", error="cannot_dm_bot")

    with pytest.raises(SlackApiError) as refused:
        web_client.conversations_open(users="U_ANA")
    web_client.conversations_open(users="U_ANA")

    assert refused.value.response["error"] == "cannot_dm_bot"
    assert len(fake.calls("conversations.open")) == 1


def test_chat_unfurl_is_recorded(fake: FakeSlack, web_client: WebClient) -> None:
    posted = fake.post_user_message("C1", "U_ANA", "see https://example.org/p/12 now")
    unfurls = {"https://example.org/p/12": {"blocks": [{"type": "divider"}]}}

    answer = web_client.chat_unfurl(channel="C1", ts=posted["ts"], unfurls=unfurls)
    web_client.chat_unfurl(unfurl_id="C1.123.abc", source="composer", unfurls=unfurls)

    assert answer.data == {"ok": True}
    assert fake.unfurls() == [
        {
            "channel": "C1",
            "ts": posted["ts"],
            "unfurl_id": None,
            "source": None,
            "unfurls": unfurls,
        },
        {
            "channel": None,
            "ts": None,
            "unfurl_id": "C1.123.abc",
            "source": "composer",
            "unfurls": unfurls,
        },
    ]
    assert fake.calls("chat.unfurl")[0].args["unfurls"] == unfurls


def test_chat_unfurl_refuses_links_the_message_does_not_have(
    fake: FakeSlack, web_client: WebClient
) -> None:
    posted = fake.post_user_message("C1", "U_ANA", "see https://example.org/p/12")
    other = {"https://example.org/p/99": {"blocks": [{"type": "divider"}]}}

    with pytest.raises(SlackApiError) as refused:
        web_client.chat_unfurl(channel="C1", ts=posted["ts"], unfurls=other)

    assert refused.value.response["error"] == "cannot_unfurl_url"
    assert fake.unfurls() == []


def test_user_messages_are_stored_as_slack_stores_them(fake: FakeSlack) -> None:
    posted = fake.post_user_message("C1", "U_ANA", "a & b: https://example.org/x?a=1&b=2")

    assert posted["text"] == "a &amp; b: <https://example.org/x?a=1&amp;b=2>"
    [section] = posted["blocks"][0]["elements"]
    assert section["elements"][-1] == {"type": "link", "url": "https://example.org/x?a=1&b=2"}
    assert fake.last_message("C1") == {**posted, "channel": "C1"}


def test_history_is_newest_first_with_metadata_when_asked(
    fake: FakeSlack, web_client: WebClient
) -> None:
    first = web_client.chat_postMessage(channel="C1", text="one", metadata=METADATA)
    web_client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    web_client.chat_postMessage(channel="C2", text="elsewhere")
    second = web_client.chat_postMessage(channel="C1", text="two")

    plain = web_client.conversations_history(channel="C1")
    full = web_client.conversations_history(channel="C1", include_all_metadata=True)

    assert (fake.message("C1", first["ts"]) or {}).get("metadata") == METADATA
    assert [m["text"] for m in plain["messages"]] == ["two", "one"]
    assert not plain["has_more"] and all("metadata" not in m for m in plain["messages"])
    assert [m.get("metadata") for m in full["messages"]] == [None, METADATA]
    assert full["messages"][0]["ts"] == second["ts"]


def test_history_window_and_pages(fake: FakeSlack, web_client: WebClient) -> None:
    ts = [web_client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(5)]

    between = web_client.conversations_history(channel="C1", oldest=ts[0], latest=ts[3])
    inclusive = web_client.conversations_history(
        channel="C1", oldest=ts[0], latest=ts[3], inclusive=True
    )
    page = web_client.conversations_history(channel="C1", limit=2)
    rest = web_client.conversations_history(
        channel="C1", limit=10, cursor=page["response_metadata"]["next_cursor"]
    )

    assert [m["text"] for m in between["messages"]] == ["2", "1"]
    assert [m["text"] for m in inclusive["messages"]] == ["3", "2", "1", "0"]
    assert [m["text"] for m in page["messages"]] == ["4", "3"] and page["has_more"]
    assert [m["text"] for m in rest["messages"]] == ["2", "1", "0"] and not rest["has_more"]
    assert rest["response_metadata"]["next_cursor"] == ""
    after_first = web_client.conversations_history(channel="C1", oldest=ts[0], limit=2)
    older = web_client.conversations_history(
        channel="C1", oldest=ts[0], cursor=after_first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in older["messages"]] == ["2", "1"]


def test_get_permalink(web_client: WebClient) -> None:
    answer = web_client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")

    assert answer["permalink"] == "https://example.slack.com/archives/C1/p1700000000000100"
    assert answer["channel"] == "C1"
