"""The language server against a careless or hostile client, over raw JSON-RPC on its stdio (rawlsp.py:
the frames are written byte for byte, nothing is validated on our side).

Every case asserts what issue #19 promises: the process lives (or exits when it should, with the status
the spec gives), every request gets its response within RESPONSE_BOUND (a result or the right JSON-RPC
error, with the request's id), nothing reaches stderr as a traceback, and the memory of the server plus
its analysis child (VmHWM from /proc) stays under MEMORY_CEILING. No timing is asserted beyond the
generous bound that tells a hang from a slow machine.
"""
from __future__ import annotations

import json
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLES
from rawlsp import RESPONSE_BOUND, RawServer, encode, frame

MEMORY_CEILING_KB = 1536 << 10     # server + analysis child, peak resident
ENV = {"PYTHONPATH": os.path.join(ROOT, "server")}   # this checkout, whatever pip last installed
URI = "file:///abuse/model.py"
MODEL = ("import torch.nn as nn\n# shapelens: input=(1, 4)\n"
         "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n")

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
NOT_INITIALIZED, CANCELLED, CONTENT_MODIFIED = -32002, -32800, -32801


def start() -> RawServer:
    return RawServer(env=ENV)


def open_model(server: RawServer, uri: str = URI, text: str = MODEL) -> None:
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})


def hint_params(uri: str = URI, last_line: int = 50) -> dict:
    return {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                                                     "end": {"line": last_line, "character": 0}}}


def error_code(reply: dict):
    return reply["error"]["code"] if "error" in reply else None


def assert_healthy(server: RawServer) -> None:
    """Alive, answering, no traceback so far, memory under the ceiling."""
    assert server.alive(), server.stderr_text()[-2000:]
    reply = server.call("shapelens/status", {})
    assert "result" in reply, reply
    assert "Traceback" not in server.stderr_text(), server.stderr_text()[-3000:]
    server.sample_memory()
    assert server.peak_kb < MEMORY_CEILING_KB, f"{server.peak_kb} KB"


@pytest.fixture(scope="module")
def shared():
    """One initialized server for every case it must survive (a server per case would cost a second
    each); each case ends with assert_healthy."""
    server = start()
    server.initialize()
    open_model(server)
    yield server
    server.stop()


# ----------------------------------------------------------------------------- requests with bad params

BAD_PARAMS = {
    "line -1": {"textDocument": {"uri": URI}, "position": {"line": -1, "character": 0}},
    "params a string": "x",
    "uri an integer": {"textDocument": {"uri": 5}, "position": {"line": 0, "character": 0}},
    "line over 2**31": {"textDocument": {"uri": URI}, "position": {"line": 2 ** 40, "character": 0}},
    "line a float": {"textDocument": {"uri": URI}, "position": {"line": 1.5, "character": 0}},
    "character a string": {"textDocument": {"uri": URI}, "position": {"line": 0, "character": "3"}},
    "position missing": {"textDocument": {"uri": URI}},
    "textDocument null": {"textDocument": None, "position": {"line": 0, "character": 0}},
    "params a list": [1, 2, 3],
    "line a boolean": {"textDocument": {"uri": URI}, "position": {"line": True, "character": 0}},
}


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_invalid_params_get_invalid_params_with_the_id(shared, case):
    msg_id = shared.request("textDocument/hover", BAD_PARAMS[case])
    reply = shared.wait(msg_id)
    assert reply["id"] == msg_id and error_code(reply) == INVALID_PARAMS, reply
    assert_healthy(shared)


def test_bad_params_on_every_feature(shared):
    for method in ("textDocument/inlayHint", "inlayHint/resolve", "textDocument/codeLens", "textDocument/codeAction",
                   "textDocument/diagnostic", "textDocument/hover"):
        reply = shared.call(method, {"textDocument": {"uri": 7}})
        assert error_code(reply) == INVALID_PARAMS, (method, reply)
    assert_healthy(shared)


def test_huge_but_valid_positions_are_answered(shared):
    for line, character in ((2 ** 31 - 1, 0), (0, 2 ** 31 - 1), (10 ** 6, 10 ** 6)):
        reply = shared.call("textDocument/hover", {"textDocument": {"uri": URI},
                                                    "position": {"line": line, "character": character}})
        assert "result" in reply, reply
        reply = shared.call("textDocument/inlayHint", {"textDocument": {"uri": URI}, "range": {
            "start": {"line": line, "character": character}, "end": {"line": 0, "character": 0}}})
        assert "result" in reply, reply
    assert_healthy(shared)


def test_unknown_method_and_unopened_document(shared):
    assert error_code(shared.call("shapelens/nothing", {})) == METHOD_NOT_FOUND
    reply = shared.call("textDocument/hover", {"textDocument": {"uri": "file:///never/opened.py"},
                                               "position": {"line": 0, "character": 0}})
    assert reply == {"jsonrpc": "2.0", "id": reply["id"], "result": None}
    assert_healthy(shared)


# ----------------------------------------------------------------------------- frames that are not requests

def test_bodies_that_are_not_json_objects(shared):
    bodies = [b"[]", b"null", b"123", b'"text"', b"{", b"\xff\xfe\xfa", b"[" * 100_000 + b"]" * 100_000,
              b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": "\xff"}', b""]
    for body in bodies:
        shared.send_bytes(frame(body))
    replies = shared.wait_unmatched(len(bodies))
    assert {error_code(r) for r in replies} <= {PARSE_ERROR, INVALID_REQUEST}
    assert all(r["id"] is None for r in replies)
    assert_healthy(shared)


@pytest.mark.parametrize("bad_id", [{}, [1], 1.5, True, None])
def test_request_ids_of_the_wrong_type(shared, bad_id):
    before = len(shared.unmatched)
    shared.send({"jsonrpc": "2.0", "id": bad_id, "method": "shapelens/status", "params": {}})
    (reply,) = shared.wait_unmatched(before + 1)[before:]
    assert error_code(reply) == INVALID_REQUEST
    assert_healthy(shared)


def test_a_notification_sent_as_a_request_and_a_request_as_a_notification(shared):
    reply = shared.call("textDocument/didClose", {"textDocument": {"uri": "file:///nothing.py"}})
    assert error_code(reply) == INVALID_REQUEST
    shared.notify("textDocument/hover", {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}})
    assert_healthy(shared)


def test_not_json_rpc_2(shared):
    for message in ({"jsonrpc": "1.0", "id": 901, "method": "shapelens/status", "params": {}},
                    {"id": 902, "method": "shapelens/status", "params": {}},
                    {"jsonrpc": "2.0", "id": 903, "method": 5}):
        shared.send(message)
        assert error_code(shared.wait(message["id"])) == INVALID_REQUEST
    assert_healthy(shared)


def test_malformed_headers_and_garbage(shared):
    rng = random.Random(19)
    good = encode({"jsonrpc": "2.0", "id": "after-junk", "method": "shapelens/status", "params": {}})
    junk = [
        bytes(rng.randrange(256) for _ in range(5000)) + b"\r\n\r\n",   # random bytes
        b"Content-Length: -5\r\n\r\n",
        b"Content-Length: five\r\n\r\n",
        b"Content-Type: application/json\r\n\r\n",                      # no length at all
        b"X" * 200_000 + b"\r\n\r\n",                                   # one header line of 200 KB
        b"\r\n\r\n\r\n",
    ]
    for data in junk:
        shared.send_bytes(data)
    shared.send_bytes(good)
    assert "result" in shared.wait("after-junk")
    # header names in any case, an extra header, a frame split into single bytes
    body = json.dumps({"jsonrpc": "2.0", "id": "odd-header", "method": "shapelens/status", "params": {}}).encode()
    data = b"content-length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body) + body
    for i in range(len(data)):
        shared.send_bytes(data[i:i + 1])
    assert "result" in shared.wait("odd-header")
    assert_healthy(shared)


def test_malformed_notifications_are_dropped_quietly(shared):
    notes = [
        ("textDocument/didChange", {"textDocument": {"uri": URI, "version": 2},
                                    "contentChanges": [{"range": {"start": {"line": 0}}, "text": "x"}]}),
        ("textDocument/didChange", {"textDocument": {"uri": "file:///not/open.py", "version": 2},
                                    "contentChanges": [{"text": "x = 1\n"}]}),
        ("textDocument/didChange", {"textDocument": {"uri": URI, "version": 3}, "contentChanges": [
            {"range": {"start": {"line": 900, "character": 900}, "end": {"line": 2, "character": 0}}, "text": "#"}]}),
        ("textDocument/didOpen", {"textDocument": {"uri": "file:///x.py", "text": None}}),
        ("textDocument/didClose", {"textDocument": {"uri": "file:///never.py"}}),
        ("$/cancelRequest", {}),
        ("$/cancelRequest", {"id": {"nested": True}}),
        ("$/cancelRequest", {"id": 123456}),
        ("workspace/didChangeConfiguration", {"settings": {"shapelens": {"ignore": 5, "select": {"a": 1}}}}),
        ("$/setTrace", {"value": "nonsense"}),
        ("initialized", "x"),
    ]
    for method, params in notes:
        shared.notify(method, params)
    reply = shared.call("textDocument/inlayHint", hint_params())
    assert "result" in reply, reply
    assert_healthy(shared)


def test_a_large_document_and_a_deep_one(shared):
    big = MODEL + "L = [" + ", ".join(str(i) for i in range(700_000)) + "]\n"   # ~5 MB on one line
    open_model(shared, "file:///abuse/big.py", big)
    reply = shared.call("textDocument/diagnostic", {"textDocument": {"uri": "file:///abuse/big.py"}})
    messages = [d["message"] for d in reply["result"]["items"]]
    assert any("the limit is 100,000" in m for m in messages), messages
    hints = shared.call("textDocument/inlayHint", hint_params("file:///abuse/big.py"))["result"]
    assert hints, "the model before the long line is still analysed"
    deep = MODEL + "S = " + "(" * 5000 + ")" * 5000 + "\nT = " + " + ".join(["'ab'"] * 8000) + "\n"
    open_model(shared, "file:///abuse/deep.py", deep)
    reply = shared.call("textDocument/diagnostic", {"textDocument": {"uri": "file:///abuse/deep.py"}})
    assert sum("levels deep" in d["message"] for d in reply["result"]["items"]) == 2, reply
    for uri in ("file:///abuse/big.py", "file:///abuse/deep.py"):
        shared.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert_healthy(shared)


# ----------------------------------------------------------------------------- random messages

METHODS = ["textDocument/hover", "textDocument/inlayHint", "inlayHint/resolve", "textDocument/codeLens",
           "textDocument/codeAction", "textDocument/diagnostic", "shapelens/status", "workspace/executeCommand",
           "textDocument/didChange", "textDocument/didOpen", "textDocument/didClose", "$/cancelRequest",
           "workspace/didChangeConfiguration", "textDocument/completion", "made/up"]
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 63, 2 ** 63) | st.floats(allow_nan=False)
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=12)
PARAMS = st.one_of(JSON, st.fixed_dictionaries({
    "textDocument": st.fixed_dictionaries({"uri": st.sampled_from([URI, "file:///nope.py"]) | JSON}),
    "position": st.fixed_dictionaries({"line": st.integers(-3, 2 ** 33), "character": st.integers(-3, 2 ** 33) | JSON}),
    "range": JSON,
}))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(METHODS), params=PARAMS, as_request=st.booleans())
def test_random_messages_every_request_answered(shared, method, params, as_request):
    if as_request:
        msg_id = shared.request(method, params)
        reply = shared.wait(msg_id)
        assert reply["id"] == msg_id and ("result" in reply or "error" in reply)
    else:
        shared.notify(method, params)
    assert "Traceback" not in shared.stderr_text()


def test_shared_server_still_answers_correctly(shared):
    """After all of the above the server still analyses: the model's hints are the right numbers."""
    open_model(shared, "file:///abuse/final.py")
    labels = [h["label"] for h in shared.call("textDocument/inlayHint", hint_params("file:///abuse/final.py"))["result"]]
    assert "(1, 8) · 40" in labels and any(label.startswith("58 params") for label in labels), labels
    assert_healthy(shared)


# ----------------------------------------------------------------------------- lifecycle (a server each)

def test_exit_without_shutdown_exits_1():
    server = start()
    try:
        server.initialize()
        server.notify("exit")
        assert server.exit_code() == 1
        assert "Traceback" not in server.stderr_text()
    finally:
        server.stop()


def test_shutdown_then_requests_get_invalid_request_then_exit_0():
    server = start()
    try:
        server.initialize()
        open_model(server)
        assert server.call("shutdown")["result"] is None
        assert error_code(server.call("textDocument/inlayHint", hint_params())) == INVALID_REQUEST
        assert error_code(server.call("shutdown")) == INVALID_REQUEST
        server.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": 2}, "contentChanges": []})
        server.notify("exit")
        assert server.exit_code() == 0
        assert "Traceback" not in server.stderr_text()
    finally:
        server.stop()


def test_requests_before_initialize_and_a_second_initialize():
    server = start()
    try:
        assert error_code(server.call("textDocument/hover", BAD_PARAMS["line -1"])) == NOT_INITIALIZED
        assert error_code(server.call("shapelens/status", {})) == NOT_INITIALIZED
        assert "result" in server.initialize()
        assert error_code(server.call("initialize", {"processId": None, "rootUri": None, "capabilities": {}})) \
            == INVALID_REQUEST
        assert_healthy(server)
    finally:
        server.stop()


@pytest.mark.parametrize("moment", ["before initialize", "after initialize", "after initialized",
                                    "mid-header", "mid-body", "request in flight"])
def test_the_server_exits_when_its_input_ends(moment):
    server = start()
    try:
        if moment != "before initialize":
            reply = server.call("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
            assert "result" in reply
        if moment in ("after initialized", "mid-header", "mid-body", "request in flight"):
            server.notify("initialized", {})
            open_model(server)
        if moment == "mid-header":
            server.send_bytes(b"Content-Len")
        elif moment == "mid-body":
            server.send_bytes(b'Content-Length: 100\r\n\r\n{"jsonrpc": "2.0", ')
        elif moment == "request in flight":
            server.request("textDocument/inlayHint", hint_params())
        server.close_stdin()
        assert server.exit_code() == 1          # no shutdown was received: 1, as for `exit`
        assert "Traceback" not in server.stderr_text()
    finally:
        server.stop()


def test_a_content_length_of_a_terabyte():
    server = start()
    try:
        server.initialize()
        server.send_bytes(b"Content-Length: 1000000000000\r\n\r\n{}")
        server.send_bytes(b"x" * 3_000_000)                  # read and dropped in pieces, not buffered
        server.sample_memory()
        assert server.alive()
        server.close_stdin()
        assert server.exit_code() == 1
        err = server.stderr_text()
        assert "over the limit" in err and "Traceback" not in err
        assert server.peak_kb < MEMORY_CEILING_KB
    finally:
        server.stop()


def test_cancel_and_content_modified():
    """A cancelled request is answered RequestCancelled (or its result, if it was done first); a request
    whose document changed while its analysis ran is answered ContentModified, never with positions of
    a text the client no longer has."""
    import sys

    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import generate

    text = generate.large_file(4242)            # a cold 3,000-line file: the analysis takes a while
    server = start()
    try:
        server.initialize()
        open_model(server, text=text)
        msg_id = server.request("textDocument/inlayHint", hint_params(last_line=3000))
        server.notify("$/cancelRequest", {"id": msg_id})
        assert error_code(server.wait(msg_id)) in (CANCELLED, None)
        server.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": 2},
                                                 "contentChanges": [{"text": text + "\n# edited\n"}]})
        msg_id = server.request("textDocument/inlayHint", hint_params(last_line=3000))
        server.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": 3},
                                                 "contentChanges": [{"text": text + "\n# edited twice\n"}]})
        assert error_code(server.wait(msg_id)) == CONTENT_MODIFIED
        assert "result" in server.call("textDocument/inlayHint", hint_params(last_line=3000))
        assert_healthy(server)
    finally:
        server.stop()


# ----------------------------------------------------------------------------- typing every sample

def test_typing_every_sample_character_by_character():
    """Each sample typed one character at a time (every prefix is the document's text once), with an
    inlay-hint request every 40 characters: each request is answered (hints, or ContentModified when
    the text moved on meanwhile), and the last one, after the typing, has hints."""
    server = start()
    try:
        server.initialize()
        names = sorted(n for n in os.listdir(SAMPLES) if n.endswith(".py"))
        for n, name in enumerate(names):
            with open(os.path.join(SAMPLES, name), encoding="utf-8") as fh:
                text = fh.read()
            uri = f"file:///typed/{name}"
            server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                    "version": 0, "text": ""}})
            ids = _type(server, uri, text)
            for msg_id in ids:
                reply = server.wait(msg_id)
                assert "result" in reply or error_code(reply) in (CONTENT_MODIFIED, CANCELLED), reply
            status = server.call("shapelens/status", {})["result"]
            (doc,) = [d for d in status["documents"] if d["uri"] == uri]
            assert doc["length"] == len(text)
            final = server.call("textDocument/inlayHint", hint_params(uri, text.count("\n") + 1))
            assert final["result"], name
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        assert_healthy(server)
    finally:
        server.stop()


def _type(server: RawServer, uri: str, text: str) -> list:
    line = col = 0
    ids = []
    for k, ch in enumerate(text):
        here = {"line": line, "character": col}
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": k + 1},
                                                 "contentChanges": [{"range": {"start": here, "end": here},
                                                                     "text": ch}]})
        if ch == "\n":
            line, col = line + 1, 0
        else:
            col += len(ch.encode("utf-16-le")) // 2
        if k % 40 == 39:
            ids.append(server.request("textDocument/inlayHint", hint_params(uri, line + 1)))
    return ids


def test_response_bound_is_generous():
    assert RESPONSE_BOUND >= 20
