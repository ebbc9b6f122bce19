"""The bucket's key layout: uploads under ``users/{id}/``, renditions elsewhere, owners read back."""

from __future__ import annotations

import uuid

from spotcheck.storage.keys import USERS_PREFIX, object_key_for, owner_of, owner_prefix, thumbnail_key_for


def test_an_upload_key_lies_under_its_owners_prefix_and_names_its_owner() -> None:
    owner = str(uuid.uuid4())
    key = object_key_for(owner, "a/b.jpg")
    assert key.startswith(owner_prefix(owner)) and key.startswith(USERS_PREFIX)
    assert owner_of(key) == owner


def test_a_rendition_is_kept_outside_the_uploads() -> None:
    owner = str(uuid.uuid4())
    assert owner_of(thumbnail_key_for(owner, "a.jpg")) is None
    assert not thumbnail_key_for(owner, "a.jpg").startswith(USERS_PREFIX)


def test_keys_that_name_no_account_have_no_owner() -> None:
    owner = str(uuid.uuid4())
    others = ("users/", f"users/{owner}", "users/not-a-uuid/a.jpg", f"users/{owner.upper()}/a.jpg", f"x/{owner}/a.jpg")
    for key in others:
        assert owner_of(key) is None, key
