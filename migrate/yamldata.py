"""YAML the tool does not control (a source's front matter, a site's files): bounded, so a hostile
document is refused in one sentence, never minutes of work or gigabytes of memory.

PyYAML's safe loader builds nothing dangerous, but aliases let a few hundred bytes stand for
billions of nodes ("billion laughs"): the loader shares them, and whatever walks the result
afterwards (a hash of the fields, a copy, a check of every string) pays for every one. Nesting
thousands deep exhausts the recursion of its composer. So a document is refused when it is
larger than `max_bytes`, nested deeper than `max_depth`, or, counting every alias as the nodes it
stands for, holds more than `max_nodes`; front matter from a source needs no alias at all, and
may be read with them refused outright.
"""
from __future__ import annotations

import yaml
from yaml.events import AliasEvent

MAX_BYTES = 256 * 1024   # front matter is a few fields; a body is not read as YAML
MAX_DEPTH = 32
MAX_NODES = 20_000


class YamlRefused(ValueError):
    """The document is valid YAML, perhaps, but not one to read: the message says why."""


def _bounded_loader(max_depth: int, aliases: bool) -> type:
    class BoundedLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            if self.check_event(AliasEvent) and not aliases:
                raise YamlRefused("it uses a YAML alias (*name), which front matter has no need of")
            self.depth += 1
            if self.depth > max_depth:
                raise YamlRefused(f"it is nested deeper than {max_depth} levels")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return BoundedLoader


def _expanded_size(node, sizes: dict[int, int], limit: int) -> int:
    """How many nodes `node` stands for with every alias expanded (shared nodes counted each
    time), computed once per node; stops counting past `limit`. A node that holds itself (`&a [*a]`)
    stands for endlessly many."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = limit + 1  # until counted: met again on the way down, it is a cycle
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, sizes, limit)
            if size > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, sizes, limit) + _expanded_size(value, sizes, limit)
            if size > limit:
                break
    sizes[id(node)] = size
    return size


def load(text: str, *, aliases: bool = False, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
         max_nodes: int = MAX_NODES):
    """`yaml.safe_load`, bounded; YamlRefused (a ValueError) says why a document is not read, and
    yaml.YAMLError why it is not YAML."""
    if len(text) > max_bytes:
        raise YamlRefused(f"it is {len(text):,} characters long, more than the {max_bytes:,} front matter may take")
    loader = _bounded_loader(max_depth, aliases)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}, max_nodes) > max_nodes:
            raise YamlRefused(f"its aliases stand for more than {max_nodes:,} values")
        return loader.construct_document(node)
    finally:
        loader.dispose()
