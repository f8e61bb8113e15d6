"""The right few: which hits a search shows, in which order.

``select_answer`` works on a list of hits (a search for a commune: a few hundred);
``select_national`` gives the same answer over the arrays of a search without a commune
(``search.backend.columns``: tens of thousands of matches), making Python objects only
for the page shown. ``tests/test_national_search.py`` checks that both agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from directory.town_halls import replace_generic
from search.backend.columns import NationalMatches
from search.backend.records import SearchHit

PER_TYPE_FIRST = 2
ANSWER_TYPES = 3
# A text-only query keeps the hits scoring at least this share of the best one.
TEXT_CUTOFF = 0.3
# Emergency services are always shown in the emergency block; in search results they
# should not push the specialised services down.
DEMOTED_TYPES = {"urgences": 0.3, "forces_de_l_ordre": 0.3, "ligne_nationale": 0.3}


def local_answers(hits: list, local_types: frozenset[str], commune_known: bool) -> list:
    """Town halls (``local_types``) answer for their own commune only: without a commune
    none is shown (the generic « mairie de la commune de résidence » stands for them);
    with one, only the commune's own, which then replaces the generic entry."""
    if not local_types:
        return hits

    def local(hit) -> bool:
        return bool(local_types.intersection(hit.types)) and hit.payload.get("placed", True)

    if not commune_known:
        return [h for h in hits if not local(h)]
    kept = [h for h in hits if not (local(h) and not h.covers)]
    return replace_generic(kept, local_types, lambda h: h.types, local,
                           lambda h: not h.payload.get("placed", True))


def select_answer(hits: list, answer_types: list[str], named_types: list[str]) -> list:
    """The right few: when problems are understood, the services of the types that answer
    them (in the rules' order) and those of a type the query names; services of the
    commune first; generic entries without a place and emergency services last."""
    wanted = list(dict.fromkeys([*named_types, *answer_types]))
    rank = {code: position for position, code in enumerate(wanted)}
    if wanted:
        # The types named in the query, and the first ANSWER_TYPES answering types that
        # have a service here: a lay query gets a few kinds of help, not every kind.
        present = [code for code in answer_types if any(code in h.types for h in hits)]
        kept = set(named_types) | set(present[:ANSWER_TYPES])
        hits = [h for h in hits if set(h.types) & kept]

    def order(hit):
        best = min((rank[t] for t in hit.types if t in rank), default=len(rank))
        demoted = bool(set(hit.types) & DEMOTED_TYPES.keys()) and not set(hit.types) & set(named_types)
        generic_unanswering = not hit.payload.get("placed", True) and best == len(rank)
        return (demoted or generic_unanswering, hit.covers is False, best if wanted else 0, -hit.score)

    return diversified(sorted(hits, key=order))


def diversified(hits: list) -> list:
    """At most ``PER_TYPE_FIRST`` services of one type before every other type had its
    turn (five CMP sectors must not hide the médecin traitant), and never a generic entry
    without a place first when a placed service answers."""
    head, tail, seen = [], [], Counter()
    for hit in hits:
        key = hit.types[0] if hit.types else ""
        seen[key] += 1
        (head if seen[key] <= PER_TYPE_FIRST else tail).append(hit)
    ordered = head + tail
    if ordered and not ordered[0].payload.get("placed", True):
        placed = next((i for i, h in enumerate(ordered) if h.payload.get("placed", True)), None)
        if placed is not None:
            ordered.insert(0, ordered.pop(placed))
    return ordered


def relevant(hits: list) -> list:
    """Without understood problems, the hits close to the best text score only."""
    if not hits:
        return hits
    best = max(h.score for h in hits)
    return [h for h in hits if h.score >= TEXT_CUTOFF * best]


@dataclass
class NationalAnswer:
    """A page of a search without a commune, with the total and facets of every hit."""

    total: int
    page: list[SearchHit]
    type_facets: dict[str, int]
    domain_facets: dict[str, int]


def select_national(matches: NationalMatches, selecting: bool, answer_types: list[str],
                    named_types: list[str], offset: int, limit: int,
                    local_types: frozenset[str] = frozenset()) -> NationalAnswer:
    """``select_answer`` (when ``selecting``: the query had words) or the plain order
    (closed last, best score, name), over arrays; only the page becomes hits. A search
    without a commune shows no town hall (``local_types``, as ``local_answers``)."""
    view, docs, scores = matches.view, matches.docs, matches.scores
    number = {code: i for i, code in enumerate(view.type_codes)}
    types = view.types[docs]

    def having(codes) -> np.ndarray:
        columns = [number[c] for c in codes if c in number]
        return types[:, columns].any(axis=1) if columns else np.zeros(len(docs), dtype=bool)

    if not selecting:
        order = np.lexsort((view.name_rank[docs], -scores, view.closed[docs]))
        return _answer(matches, docs, scores, order, offset, limit)
    if local_types:
        keep = ~(having(local_types) & view.placed[docs])
        docs, scores, types = docs[keep], scores[keep], types[keep]
    wanted = list(dict.fromkeys([*named_types, *answer_types]))
    if wanted:
        present = [code for code in answer_types if code in number and types[:, number[code]].any()]
        keep = having(set(named_types) | set(present[:ANSWER_TYPES]))
        docs, scores, types = docs[keep], scores[keep], types[keep]
    ranks = np.full(max(1, len(view.type_codes)), len(wanted), dtype=np.int64)
    for position, code in enumerate(wanted):  # each code once (``wanted`` is deduplicated)
        if code in number:
            ranks[number[code]] = position
    best = np.where(types, ranks[: types.shape[1]], len(wanted)).min(axis=1) if len(docs) else ranks[:0]
    demoted = having(DEMOTED_TYPES) & ~having(named_types)
    last = demoted | (~view.placed[docs] & (best == len(wanted)))
    order = np.lexsort((view.name_rank[docs], view.closed[docs], -scores, best if wanted else 0 * best, last))
    order = _diversified_order(view.primary[docs][order], order)
    if len(order) and not view.placed[docs[order[0]]]:
        placed = np.flatnonzero(view.placed[docs[order]])
        if len(placed):
            order = np.concatenate([order[placed[:1]], np.delete(order, placed[0])])
    return _answer(matches, docs, scores, order, offset, limit)


def _diversified_order(primary: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``diversified`` over positions: the first PER_TYPE_FIRST of each primary type in
    ``order``, then the others, each part in ``order``."""
    count = len(order)
    if count == 0:
        return order
    grouped = np.argsort(primary, kind="stable")
    keys = primary[grouped]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, count]))
    occurrence = np.empty(count, dtype=np.int64)
    occurrence[grouped] = np.arange(count) - group_start
    head = occurrence < PER_TYPE_FIRST
    return np.concatenate([order[head], order[~head]])


def _answer(matches: NationalMatches, docs, scores, order, offset: int, limit: int) -> NationalAnswer:
    view = matches.view
    shown = NationalMatches(view, docs, scores)
    type_counts = view.types[docs].sum(axis=0)
    domain_counts = np.bincount(view.domain[docs], minlength=len(view.domain_codes))
    return NationalAnswer(
        total=len(docs),
        page=shown.hits(order[offset:offset + limit]),
        type_facets={code: int(n) for code, n in zip(view.type_codes, type_counts, strict=False) if n},
        domain_facets={code: int(n) for code, n in zip(view.domain_codes, domain_counts, strict=False) if n},
    )
