"""JSON from sources the tool does not control: nesting is bounded, so a hostile document is
broken JSON, never a crash or gigabytes of memory.

`array_entries`: the entries of a JSON array, streamed one at a time.

Saved API responses and export files can be large, so their entries are built one by one from
ijson's basic events rather than from one `json.load`. ijson's own `items` tracks the path of
every event, which costs memory in the square of the nesting depth: a 400 KB file of nothing but
`[[[[...]]]]` takes gigabytes. No platform's entries nest more than a few levels, so a document
nested deeper than MAX_DEPTH is refused as broken JSON (its entries before that point are kept).

Numbers are read as Python's `json` reads them: a number too large for a float (`1e999`) is
infinity, not an error that would end the reading of every entry after it. (The parser reads
such a number as a Decimal; a float is what the fetchers expect.) An integer of more than
Python's 4,300 digits is the one number it cannot hold: the JSON is broken at that point.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import IO, Iterator

import ijson
from ijson.common import ObjectBuilder

from .errors import UserError

MAX_DEPTH = 64
_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")


class NestedTooDeep(ijson.JSONError):
    """Raised like ijson's own errors, so a reader treats it as JSON broken at that point."""


def array_entries(stream: IO[bytes], key: str | None = None, wrong_shape: str = "",
                  max_depth: int = MAX_DEPTH) -> Iterator:
    """Each entry of the document's top-level array; with `key`, of the array under that key of
    its top-level object (`results` in a page of Buttondown's API), and UserError(wrong_shape)
    when the object has no such array. A document of another shape has no entries."""
    try:
        yield from _entries(_bounded(ijson.basic_parse(stream, use_float=False), max_depth), key, wrong_shape)
    except (SystemError, ValueError) as exc:
        # An integer too long for Python to convert: the C parser reports Python's ValueError from
        # inside its read (at times wrapped in a SystemError, at times noticed a step later).
        cause = exc
        while cause.__cause__ or cause.__context__:
            cause = cause.__cause__ or cause.__context__
        if "integer string conversion" not in str(cause):
            raise
        raise NumberTooLong("an integer has more digits than the 4,300 a number may have") from None


def _entries(events, key: str | None, wrong_shape: str) -> Iterator:
    target = _find_array(events, key, wrong_shape)
    if target is None:
        return
    depth, builder = target, None
    for event, value in events:
        if builder is not None:
            builder.event(event, value)
            depth += 1 if event in _STARTS else -1 if event in _ENDS else 0
            if depth == target:
                yield builder.value
                builder = None
        elif event in _STARTS:
            depth += 1
            builder = ObjectBuilder()
            builder.event(event, value)
        elif event in _ENDS:
            return  # the array closed
        else:
            yield value


def _find_array(events, key: str | None, wrong_shape: str) -> int | None:
    """Read up to the opening of the array of entries; the depth inside it, or None."""
    if key is None:
        first = next(events, (None, None))[0]
        return 1 if first == "start_array" else None
    depth, wanted = 0, False
    for event, value in events:
        if wanted:
            if event != "start_array":  # an object, a string, a number...: no entries in it
                raise UserError(wrong_shape)
            return 2
        depth += 1 if event in _STARTS else -1 if event in _ENDS else 0
        if depth == 1 and event == "map_key" and value == key:
            wanted = True
        elif depth == 0:
            break
    raise UserError(wrong_shape)


class NumberTooLong(ijson.JSONError):
    """An integer with more digits than Python converts; broken JSON at that point."""


def _bounded(events, max_depth: int):
    depth = 0
    for event, value in events:
        if event in _STARTS:
            depth += 1
            if depth > max_depth:
                raise NestedTooDeep(f"nested deeper than {max_depth} levels, which no entry of a newsletter is")
        elif event in _ENDS:
            depth -= 1
        elif event == "number" and isinstance(value, Decimal):
            value = float(value)  # as json.loads reads it: 1e999 is infinity
        yield event, value


def loads(text: str | bytes):
    """`json.loads`, with a document nested too deep for it a ValueError like any broken JSON
    (the standard parser recurses, and raises RecursionError)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deep to read") from None


def count_array_entries(stream: IO[bytes], max_depth: int = MAX_DEPTH) -> int:
    """How many entries the document's top-level array holds, without building them (for a
    progress bar's total); counting stops quietly where the JSON breaks."""
    count = depth = 0
    try:
        for event, _ in _bounded(ijson.basic_parse(stream), max_depth):
            if event in _STARTS:
                depth += 1
                count += depth == 2
            elif event in _ENDS:
                depth -= 1
            elif depth == 1:
                count += 1
    except ijson.JSONError:
        pass
    return count
