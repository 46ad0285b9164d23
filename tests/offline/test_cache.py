import datetime

from offline.cache import Cache
from offline.db import open_database


def test_round_trip_survives_reopen(db_path):
    db = open_database(db_path)
    Cache(db).put("fees", {"parking": 1250, "names": ["Ünal", "李"]})
    db.close()

    reopened = open_database(db_path)
    cached = Cache(reopened).get("fees")
    reopened.close()

    assert cached.value == {"parking": 1250, "names": ["Ünal", "李"]}


def test_put_replaces_previous_value(db):
    cache = Cache(db)
    cache.put("hours", "9-17")
    cache.put("hours", "8-18")

    assert cache.get("hours").value == "8-18"


def test_missing_name_is_none(db):
    assert Cache(db).get("nothing") is None


def test_age_is_measured_from_fetched_at(db):
    cache = Cache(db)
    cache.put("bills", [])
    cached = cache.get("bills")

    later = cached.fetched_at + datetime.timedelta(hours=3)

    assert cached.fetched_at.utcoffset() == datetime.timedelta(0)
    assert cached.age(now=later) == datetime.timedelta(hours=3)
    assert isinstance(cached.age(), datetime.timedelta)
