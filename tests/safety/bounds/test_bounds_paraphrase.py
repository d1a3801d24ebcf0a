"""``twinchat paraphrase`` against hostile servers and replies: bounded time, bounded memory, one line.

Each case runs the command in a child process under a time limit against a server on 127.0.0.1,
and checks the exit code, the exact error line (or the rejection), and that the unit file is
unchanged.
"""

from __future__ import annotations

import json

import pytest

from canned_llm import Canned, completion
from cli_run import run_twinchat, snapshot

PROGRESS = "callback, template c01: asking for 1 rewrite(s)…\n"


def _paraphrase(unit_dir, world_path, url: str, *extra: str):
    before = snapshot(unit_dir.parent)
    done, seconds = run_twinchat("paraphrase", "callback", "--template", "c01", "-n", "1", "--units", str(unit_dir),
                                 "--db", str(world_path), "--endpoint", url, "--model", "m", *extra,
                                 cwd=unit_dir.parent, limit=60)
    assert snapshot(unit_dir.parent) == before
    return done, seconds


def _failed(done, url: str, message: str) -> None:
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"{PROGRESS}Error: {url}/chat/completions: {message}\n")


TOO_LARGE = "the reply is larger than 4 MiB (the limit); is this a chat-completions endpoint?"
BIG = json.dumps(completion("好" * (5 * 2**20)), ensure_ascii=False).encode()


@pytest.mark.parametrize("case", ["content_length_over_the_cap", "no_content_length_and_over_the_cap"])
def test_a_reply_over_4_mib_is_refused(llm, raw_server, world_path, unit_dir, case):
    if case == "content_length_over_the_cap":
        llm.push(Canned(json.dumps(completion("好" * (5 * 2**20)), ensure_ascii=False)))
        url = llm.url
    else:  # HTTP/1.0 without a length: the body runs until the server closes
        head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
        url = raw_server(head, [BIG[i:i + 2**20] for i in range(0, len(BIG), 2**20)]).url
    done, _ = _paraphrase(unit_dir, world_path, url)
    _failed(done, url, TOO_LARGE)


#: a whole ``twinchat paraphrase`` process against a trickling server: the 2 s deadline plus start-up,
#: which takes up to a few seconds on a loaded machine. Without the deadline the trickles below take
#: 40 s or more (one byte every 0.8 s), so the bound still tells the two apart.
TRICKLE_BOUND = 12


def test_a_server_trickling_one_byte_at_a_time_meets_the_deadline(raw_server, world_path, unit_dir):
    body = json.dumps(completion("好的")).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    url = raw_server(head, [body[i:i + 1] for i in range(len(body))], pause=0.8).url
    done, seconds = _paraphrase(unit_dir, world_path, url, "--timeout", "2")
    _failed(done, url, "no response within 2s (timeout); is the server busy or the model still loading? Raise "
                       "--timeout to wait longer")
    assert seconds < TRICKLE_BOUND, f"took {seconds:.1f}s"


@pytest.mark.parametrize("where", ["status_line", "headers"])
def test_a_server_trickling_its_headers_meets_the_deadline(raw_server, world_path, unit_dir, where):
    body = json.dumps(completion("好的")).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    start = 0 if where == "status_line" else head.index(b"\r\n") + 2  # the status line at once, then the rest
    url = raw_server(head[:start], [head[i:i + 1] for i in range(start, len(head))] + [body], pause=0.8).url
    done, seconds = _paraphrase(unit_dir, world_path, url, "--timeout", "2")
    _failed(done, url, "no response within 2s (timeout); is the server busy or the model still loading? Raise "
                       "--timeout to wait longer")
    assert seconds < TRICKLE_BOUND, f"took {seconds:.1f}s"


def test_a_reply_nested_100000_deep_is_malformed(llm, world_path, unit_dir):
    llm.push(Canned("[" * 100_000 + "]" * 100_000))
    done, _ = _paraphrase(unit_dir, world_path, llm.url)
    _failed(done, llm.url, "malformed response: JSON nested too deep")


#: case → the reply's content (untrusted text: each was quadratic to clean, or accepted whole)
REJECTED = {
    "think_tag_150000_times": "<think>" * 150_000,
    "candidate_of_2_million_characters": "x" * 2_000_000,
    "fence_never_closed": "```" + "\n" * 200_000 + "{{ when }}",
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_a_hostile_reply_is_rejected_as_too_long_in_bounded_time(llm, world_path, unit_dir, case):
    content = REJECTED[case]
    llm.push(completion(content))
    done, seconds = _paraphrase(unit_dir, world_path, llm.url)
    size = len(content.strip())
    assert (done.returncode, done.stderr) == (0, PROGRESS)
    assert done.stdout == (
        "callback: 1 candidate(s) for 1 template(s) from m\naccepted 0:\nrejected 1:\n"
        f"  c01#1     too_long: is {size:,} characters long, more than 200 (4× the original's 50, at most 2,000)\n"
        f"            {content.strip().replace(chr(10), chr(92) + 'n')[:80]}…\n"
        "nothing written: no candidate accepted\n")
    assert seconds < 5, f"{case} took {seconds:.1f}s"
