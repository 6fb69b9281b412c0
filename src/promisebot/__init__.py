"""promisebot: a Slack bot that runs a newsroom's campaign-promise tracker."""

__version__ = "0.1.0"
