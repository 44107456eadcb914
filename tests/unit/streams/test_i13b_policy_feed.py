"""Frequency-caps records on the definitions topic reach the engine through the index."""

from __future__ import annotations

import orjson

from streams.definitions import DefinitionFeed
from streams.engine.caps import FrequencyCap
from workflows.wire import encode_policy, frequency_caps_key, frequency_caps_tenant

POLICY = {"caps": [{"channel": "email", "limit": 1, "window": {"amount": 1, "unit": "days"}}]}


def test_the_key_names_the_tenant() -> None:
    assert frequency_caps_key("t1") == b"policy:t1:frequency-caps"
    assert frequency_caps_tenant("policy:t1:frequency-caps") == "t1"
    assert frequency_caps_tenant("wf1:active") is None


def test_a_policy_record_sets_the_tenant_s_caps_and_a_tombstone_lifts_them() -> None:
    feed = DefinitionFeed()
    feed.apply(frequency_caps_key("t1"), encode_policy(POLICY))
    assert feed.index.frequency_caps("t1") == (FrequencyCap("email", 1, 86_400_000),)
    assert feed.index.frequency_caps("t2") == ()
    feed.apply(frequency_caps_key("t1"), None)
    assert feed.index.frequency_caps("t1") == ()
    assert (feed.applied, feed.rejected) == (2, 0)


def test_an_invalid_policy_is_rejected_and_the_previous_caps_stay() -> None:
    feed = DefinitionFeed()
    feed.apply(frequency_caps_key("t1"), encode_policy(POLICY))
    feed.apply(frequency_caps_key("t1"), orjson.dumps({"caps": [{"channel": "fax"}]}))
    feed.apply(b"policy:t1:other", orjson.dumps({}))
    assert feed.rejected == 2
    assert len(feed.index.frequency_caps("t1")) == 1
