"""The fuzzy matcher of the page benchmark: is a mention still findable in a
text (the redacted text, pdftotext, a qpdf dump, the OCR of an output page)?

Text and needle are folded (NFKD, marks stripped, case folded, œ → oe,
apostrophes and punctuation as separators) and cut into words; digit groups
separated by one space, dot, dash, no-break space or line break are joined (« 06 12 34
56 78 » → 0612345678, so a phone or a NIR is one word however it is spaced).
A needle is found where its words appear consecutively, each word equal, or
within Levenshtein distance 1 when it has 5 characters or more.
`squeeze=True` (the leak checks) also finds the needle written without
spaces inside the text written without spaces (« MmeLefebvre » from OCR),
exactly, for needles of 8 characters or more once squeezed.
"""
import re
import unicodedata

_SEP = re.compile(r"(?<=\d)(?:[ .\-\u00a0\u202f]|\r?\n)(?=\d)")
_WORD = re.compile(r"[a-z0-9]+")


def fold(s):
    s = s.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE").replace("ß", "ss")
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def words(s):
    return _WORD.findall(_SEP.sub("", fold(s)))


def lev1(a, b):
    """Levenshtein distance of a and b is at most 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def word_eq(t, n):
    return t == n if len(n) < 5 else lev1(t, n)


def _count_words(hay, nw):
    if not nw:
        return 0
    k, c, i = len(nw), 0, 0
    last = len(hay) - k
    while i <= last:
        if word_eq(hay[i], nw[0]) and all(word_eq(hay[i + j], nw[j]) for j in range(1, k)):
            c += 1
            i += k
        else:
            i += 1
    return c


class Text:
    """A haystack prepared once for many needles."""

    def __init__(self, s):
        self.words = words(s)
        self.squeezed = "".join(self.words)

    def count(self, needle, squeeze=False):
        nw = words(needle) if isinstance(needle, str) else list(needle)
        c = _count_words(self.words, nw)
        if c == 0 and squeeze:
            sq = "".join(nw)
            if len(sq) >= 8:
                c = self.squeezed.count(sq)
        return c


def count(text, needle, squeeze=False):
    t = text if isinstance(text, Text) else Text(text)
    return t.count(needle, squeeze)


def key(needle):
    return " ".join(words(needle))


def gold_counts(gold):
    """{needle key: (number of gold mentions, third_party)} of a document's gold."""
    out = {}
    for m in gold:
        k = key(m["needle"])
        n, third = out.get(k, (0, m["third_party"]))
        out[k] = (n + 1, third)
    return out


def _occ(small, big):
    return _count_words(big.split(), small.split()) if small != big else 0


def attributed_all(text, gold, squeeze=False):
    """{needle key: occurrences found in text that are not part of the
    occurrence of a longer gold needle}: « Sandrine » inside a found
    « Sandrine Lefebvre » is counted once, for the longer needle."""
    t = text if isinstance(text, Text) else Text(text)
    keys = sorted(gold_counts(gold), key=lambda k: -len(k.split()))
    att = {}
    for k in keys:
        c = t.count(k.split(), squeeze)
        for m in keys:
            if m in att and m != k:
                o = _occ(k, m)
                if o:
                    c -= att[m] * o
        att[k] = max(0, c)
    return att


def attributed(text, needle, gold):
    return attributed_all(text, gold).get(key(needle), 0)


def score(text, gold, squeeze=False):
    """Per gold mention, whether its needle is still found, apportioned by
    needle: {"third": [hidden, total], "keep": [kept, total],
    "missed": [needles of third parties still found, with count],
    "lost": [requester needles not found]} ; per kind as well."""
    att = attributed_all(text, gold, squeeze)
    res = {"third": [0, 0], "keep": [0, 0], "missed": [], "lost": [], "kinds": {}}
    per_needle = {}
    for m in gold:
        per_needle.setdefault(key(m["needle"]), []).append(m)
    for k, ms in per_needle.items():
        g, third = len(ms), ms[0]["third_party"]
        f = min(att.get(k, 0), g)
        kinds = res["kinds"]
        for m in ms:
            kk = kinds.setdefault(("third" if third else "keep", m["kind"]), [0, 0])
            kk[1] += 1
        if third:
            res["third"][0] += g - f
            res["third"][1] += g
            if f:
                res["missed"].append((ms[0]["needle"], f))
            # per kind: the found ones are charged to the needle's kind
            kinds[("third", ms[0]["kind"])][0] += g - f
        else:
            res["keep"][0] += f
            res["keep"][1] += g
            if f < g:
                res["lost"].append((ms[0]["needle"], g - f))
            kinds[("keep", ms[0]["kind"])][0] += f
    return res


def leaks(text, needles, squeeze=True):
    """[(needle, count)] of the third-party needles found in text."""
    t = text if isinstance(text, Text) else Text(text)
    out = []
    for n in needles:
        c = t.count(n, squeeze)
        if c:
            out.append((n, c))
    return out
