from urllib.parse import parse_qs, urlsplit

from .conftest import HARVEST


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_first_page_has_page_numbers_and_a_cursor_next_link(harvest, seeded_state):
    body = harvest.get(f"{HARVEST}/time_entries", params={"per_page": 500}).json()
    total = len(seeded_state.harvest.time_entries)
    assert body["total_entries"] == total
    assert body["total_pages"] == -(-total // 500)
    assert (body["page"], body["next_page"], body["previous_page"]) == (1, 2, None)
    assert len(body["time_entries"]) == 500
    assert "cursor=" in body["links"]["next"]
    assert body["links"]["first"].startswith("http://sandbox/api.harvestapp.com/v2/time_entries?")
    assert parse_qs(urlsplit(body["links"]["last"]).query)["page"] == [str(body["total_pages"])]


def test_following_cursor_links_returns_every_record_once(harvest, seeded_state):
    url = f"{HARVEST}/time_entries?per_page=300"
    seen, pages = [], []
    while url:
        body = harvest.get(url).json()
        seen.extend(entry["id"] for entry in body["time_entries"])
        pages.append(body["page"])
        url = body["links"]["next"] and _relative(body["links"]["next"])
    assert sorted(seen) == sorted(seeded_state.harvest.time_entries)
    assert len(seen) == len(set(seen))
    # Cursor pagination: page is null except on the first and last pages.
    assert pages[0] == 1 and pages[-1] == len(pages)
    assert all(page is None for page in pages[1:-1])


def test_cursor_survives_records_created_between_pages(harvest, seeded_state):
    first = harvest.get(f"{HARVEST}/clients", params={"per_page": 10}).json()
    harvest.post(f"{HARVEST}/clients", json={"name": "Created Mid-Walk"})
    ids = [c["id"] for c in first["clients"]]
    url = _relative(first["links"]["next"])
    while url:
        body = harvest.get(url).json()
        ids.extend(c["id"] for c in body["clients"])
        url = body["links"]["next"] and _relative(body["links"]["next"])
    assert len(ids) == len(set(ids)) == 40  # newest-first: the new client sorts before the cursor


def test_page_pagination_links(harvest):
    body = harvest.get(f"{HARVEST}/clients", params={"page": 2, "per_page": 15}).json()
    assert (body["page"], body["previous_page"], body["next_page"]) == (2, 1, 3)
    assert body["total_pages"] == 3
    assert parse_qs(urlsplit(body["links"]["next"]).query)["page"] == ["3"]
    assert parse_qs(urlsplit(body["links"]["previous"]).query)["page"] == ["1"]
    last = harvest.get(f"{HARVEST}/clients", params={"page": 3, "per_page": 15}).json()
    assert len(last["clients"]) == 10
    assert last["next_page"] is None and last["links"]["next"] is None


def test_per_page_bounds(harvest):
    assert harvest.get(f"{HARVEST}/clients", params={"per_page": 2000}).status_code == 200
    response = harvest.get(f"{HARVEST}/clients", params={"per_page": 2001})
    assert response.status_code == 422
    assert "per_page" in response.json()["message"]
    assert harvest.get(f"{HARVEST}/clients").json()["per_page"] == 2000


def test_links_keep_filters(harvest):
    body = harvest.get(f"{HARVEST}/invoices", params={"state": "paid", "per_page": 5}).json()
    assert parse_qs(urlsplit(body["links"]["next"]).query)["state"] == ["paid"]
    follow = harvest.get(_relative(body["links"]["next"])).json()
    assert {i["state"] for i in follow["invoices"]} == {"paid"}


def test_lists_are_newest_first(harvest):
    invoices = harvest.get(f"{HARVEST}/invoices").json()["invoices"]
    dates = [i["issue_date"] for i in invoices]
    assert dates == sorted(dates, reverse=True)
    entries = harvest.get(f"{HARVEST}/time_entries", params={"per_page": 200}).json()[
        "time_entries"
    ]
    spent = [e["spent_date"] for e in entries]
    assert spent == sorted(spent, reverse=True)
