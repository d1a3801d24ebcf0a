"""The linear scans read exactly what the regular expressions they replace read.

The expressions are kept here as the reference: on generated text made of the marks they look
for (tags, fences, ``Action:`` lines, spaces and newlines), both give the same result.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from twinchat.composer.eval.scan import action_inputs, json_fence_body, tool_call_blocks
from twinchat.composer.paraphrase.checks import strip_think, unfence

_THINK = re.compile(r"<think>.*?</think>", re.S)
_PARA_FENCE = re.compile(r"^```[\w-]*\s*\n(.*?)\n?```$", re.S)
_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_ACTION_INPUT = re.compile(r"Action:\s*([A-Za-z0-9_\-]+)\s*\nAction Input:\s*(.+?)(?=\nAction:|\s*$)", re.DOTALL)
_EVAL_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

_PIECES = ["<think>", "</think>", "<tool_call>", "</tool_call>", "```", "json", "py-3", "Action:", "Action: ",
           "Action Input:", "\nAction:", " ", "\n", "\t", "\u3000", "x", "é", "工", "_", "-", "{}", "`", "<", "/"]
texts = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join)
stripped = texts.map(str.strip)


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_think_blocks_are_removed_as_the_expression_did(text):
    assert strip_think(text) == _THINK.sub("", text)


@settings(max_examples=1000, deadline=None)
@given(stripped)
def test_a_reply_fence_is_read_as_the_expression_did(text):
    match = _PARA_FENCE.match(text)
    assert unfence(text) == (match.group(1) if match else None)


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_tool_call_blocks_are_read_as_the_expression_did(text):
    assert tool_call_blocks(text) == _TOOL_CALL_TAG.findall(text)


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_action_inputs_are_read_as_the_expression_did(text):
    assert action_inputs(text) == _ACTION_INPUT.findall(text)


@settings(max_examples=1000, deadline=None)
@given(stripped)
def test_a_json_fence_is_read_as_the_expression_did(text):
    match = _EVAL_FENCE.match(text)
    assert json_fence_body(text) == (match.group(1) if match else None)
