from __future__ import annotations

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner

from workflows.wire import decode_events, encode_events, partition_for


@pytest.mark.parametrize("partitions", [1, 12, 50])
def test_partition_for_matches_kafkas_default_partitioner(partitions: int) -> None:
    kafka = DefaultPartitioner()
    all_ = list(range(partitions))
    for i in range(2000):
        key = f"contact-{i}"
        assert partition_for(key, partitions) == kafka(key.encode(), all_, all_)


def test_single_and_batch_values_decode_to_envelope_lists() -> None:
    one = {"id": "e1", "type": "contact.created"}
    assert decode_events(orjson.dumps(one)) == [one]
    assert decode_events(encode_events([one, {**one, "id": "e2"}])) == [one, {**one, "id": "e2"}]
    with pytest.raises(orjson.JSONDecodeError):
        decode_events(b"{not json")
