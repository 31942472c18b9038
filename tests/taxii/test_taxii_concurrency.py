"""A partner paging while analysts publish: every object arrives exactly once."""

from __future__ import annotations

import threading

import httpx

from puente.services.feeds import collections
from tests.taxii.conftest import RunningServer, add_partner, indicator

TAXII = "application/taxii+json;version=2.1"


def test_pager_running_alongside_two_publishers_misses_nothing_and_sees_nothing_twice(
    taxii_server: RunningServer,
) -> None:
    runtime = taxii_server.runtime
    issued = add_partner(runtime, "csirt-ar")
    public = next(g.id for g in issued.collections if g.alias == "public")
    batches = {
        writer: [[indicator(writer * 10_000 + b * 20 + n) for n in range(20)] for b in range(15)] for writer in (1, 2)
    }
    errors: list[BaseException] = []

    def publisher(writer: int) -> None:
        try:
            for batch in batches[writer]:
                with runtime.unit_of_work(actor_name=f"analyst-{writer}") as ctx:
                    collections.publish(ctx, batch, "CLEAR")
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=publisher, args=(w,)) for w in batches]
    for thread in threads:
        thread.start()
    seen: list[str] = []
    params: dict[str, str] = {"limit": "7"}
    with httpx.Client(
        base_url=taxii_server.api_root, auth=(issued.user, issued.password), headers={"Accept": TAXII}
    ) as client:
        while True:
            finished = not any(t.is_alive() for t in threads)
            response = client.get(f"collections/{public}/objects/", params=params)
            body = response.json()
            page = body.get("objects", [])
            seen += [o["id"] for o in page]
            if body.get("more"):
                params = {"limit": "7", "next": body["next"]}
            elif page:
                # Caught up for now: poll again after the last object seen, as a partner's poller does.
                params = {"limit": "7", "added_after": response.headers["X-TAXII-Date-Added-Last"]}
            elif finished:
                break
    for thread in threads:
        thread.join()
    assert not errors
    published = [o["id"] for writer in batches for batch in batches[writer] for o in batch]
    assert len(seen) == len(set(seen)), "an object was served twice"
    assert sorted(seen) == sorted(published), "an object was missed"
