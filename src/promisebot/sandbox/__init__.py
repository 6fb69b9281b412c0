"""Local stand-ins for Slack: a fake Web API, a fake Socket Mode endpoint, and a driver
that sends signed requests to the bot. The sandbox command and the tests share them."""

from promisebot.sandbox.driver import SignOptions, SlackDriver, sign
from promisebot.sandbox.fake_slack import FakeSlack, RecordedCall
from promisebot.sandbox.fake_socket_mode import FakeSocketMode
from promisebot.sandbox.payloads import SlackPayloads
from promisebot.sandbox.state_values import selected, state_values

__all__ = [
    "FakeSlack",
    "FakeSocketMode",
    "RecordedCall",
    "SignOptions",
    "SlackDriver",
    "SlackPayloads",
    "selected",
    "sign",
    "state_values",
]
