from __future__ import annotations

import pytest

from signaling.calls import Call, CallBook, CallConflict, CallNotFound, CallState, NotAParty


def make() -> Call:
    return Call("c1", "t1", "b1", "a1", started_at=100.0)


def test_parties_and_routing() -> None:
    call = make()
    assert call.party_of("booth", "b1") == "booth"
    assert call.party_of("agent", "a1") == "agent"
    with pytest.raises(NotAParty):
        call.party_of("agent", "b1")
    with pytest.raises(NotAParty):
        call.party_of("booth", "other")
    assert call.route_sdp("booth", 0, "offer") == ("agent", "a1")
    assert call.route_sdp("agent", 0, "answer") == ("booth", "b1")
    assert call.route_ice("agent", 0) == ("booth", "b1")


def test_new_gen_only_from_a_booth_offer_and_stale_gens_refused() -> None:
    call = make()
    with pytest.raises(CallConflict, match="only the booth"):
        call.route_sdp("agent", 1, "offer")
    with pytest.raises(CallConflict):
        call.route_sdp("agent", 1, "answer")  # answer for a gen that was never offered
    call.route_sdp("booth", 2, "offer")  # rebuilt peer connection
    assert call.gen == 2
    with pytest.raises(CallConflict, match="stale"):
        call.route_sdp("booth", 1, "offer")
    with pytest.raises(CallConflict):
        call.route_ice("booth", 0)
    assert call.route_sdp("agent", 2, "answer") == ("booth", "b1")
    call.route_sdp("booth", 2, "offer")  # a repeated offer of the same gen is allowed
    assert call.gen == 2


def test_end_once_then_nothing_routes() -> None:
    call = make()
    assert call.end(160.5, "done", "agent") == 60.5
    assert call.state is CallState.ENDED
    with pytest.raises(CallConflict):
        call.end(170.0, "again", "booth")
    with pytest.raises(CallConflict):
        call.route_ice("booth", 0)


def test_book_indexes_by_party_and_refuses_double_booking() -> None:
    book = CallBook()
    book.add(make())
    assert book.of("booth", "b1") is book.get("c1")
    assert book.of("agent", "a1") is book.get("c1")
    with pytest.raises(CallConflict):
        book.add(Call("c2", "t2", "b1", "a2", 0.0))
    with pytest.raises(CallConflict):
        book.add(Call("c3", "t3", "b9", "a1", 0.0))
    book.remove("c1")
    assert len(book) == 0 and book.of("booth", "b1") is None
    with pytest.raises(CallNotFound):
        book.get("c1")
