"""Lesson 12's corpus: English -> Spanish pairs made from a toy grammar, and nothing downloaded.

The grammar (every word lower-case, as lesson 06's tokenizer gives them):

    the/a NOUN COLOUR-word ...   ->  el/la/un/una NOUN COLOUR (the adjective follows the noun and agrees)
    1. ART COLOUR NOUN           "the red car"          -> "el coche rojo"
    2. ART NOUN is COLOUR        "the ball is blue"     -> "la bola es azul"
    3. ART NOUN VERB             "the dog runs"         -> "el perro corre"
    4. ART COLOUR NOUN VERB      "a white cat sleeps"   -> "un gato blanco duerme"

each with or without a final "." (as lesson 08's sentences). Every sentence of one template has the
same number of tokens, in English and in Spanish, so a batch of one template needs no padding.

The held-out pairs are unseen combinations: for each noun one colour is never seen with it in
training (HELD_OUT_COMBOS, e.g. car + red, ball + blue), in any template. Every word still appears in
training, with other words. The model must compose "rojo" from "red" and the gender of "car".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..lesson06 import UNK, tokenize
from ..lesson08 import join

# (English, Spanish, gender): lesson 08's two nouns first
NOUNS = (("car", "coche", "m"), ("ball", "bola", "f"), ("dog", "perro", "m"), ("house", "casa", "f"),
         ("cat", "gato", "m"), ("table", "mesa", "f"), ("book", "libro", "m"), ("box", "caja", "f"),
         ("hat", "sombrero", "m"), ("cup", "taza", "f"))
# (English, masculine form, feminine form)
COLOURS = (("red", "rojo", "roja"), ("blue", "azul", "azul"), ("white", "blanco", "blanca"),
           ("black", "negro", "negra"), ("green", "verde", "verde"), ("yellow", "amarillo", "amarilla"))
ARTICLES = (("the", "el", "la"), ("a", "un", "una"))  # (English, masculine, feminine)
VERBS = (("runs", "corre"), ("falls", "cae"), ("sleeps", "duerme"))
TEMPLATES = ("ART COLOUR NOUN", "ART NOUN is COLOUR", "ART NOUN VERB", "ART COLOUR NOUN VERB")

# One noun-colour combination per noun never seen in training: noun i with colour i mod 6.
HELD_OUT_COMBOS = tuple((NOUNS[i][0], COLOURS[i % len(COLOURS)][0]) for i in range(len(NOUNS)))

SPECIALS = (UNK, "<s>", "</s>")


def _words(kind):
    """The English and the Spanish words of one kind, in the order of the tables above."""
    return {
        "article": ([a[0] for a in ARTICLES], [w for a in ARTICLES for w in a[1:]]),
        "noun": ([n[0] for n in NOUNS], [n[1] for n in NOUNS]),
        "colour": ([c[0] for c in COLOURS], list(dict.fromkeys(w for c in COLOURS for w in c[1:]))),
        "verb": ([v[0] for v in VERBS], [v[1] for v in VERBS]),
    }[kind]


ENGLISH = tuple(w for kind in ("article", "noun", "colour") for w in _words(kind)[0]) + ("is",) + tuple(
    _words("verb")[0])
SPANISH = tuple(w for kind in ("article", "noun", "colour") for w in _words(kind)[1]) + ("es",) + tuple(
    _words("verb")[1])
# One joint vocabulary, as the paper's (and lesson 10's): specials, ".", English, then Spanish.
VOCAB = SPECIALS + (".",) + ENGLISH + SPANISH
WORD_TO_ID = {w: i for i, w in enumerate(VOCAB)}
BOS, EOS = WORD_TO_ID["<s>"], WORD_TO_ID["</s>"]


@dataclass(frozen=True)
class Pair:
    """One sentence pair: the English and Spanish text, its template (0-3), noun and colour (or None)."""

    english: str
    spanish: str
    template: int
    noun: str
    colour: str | None


def _sentence(article, noun, colour, verb, template, period):
    """One Pair from its parts: article, noun, colour, verb are rows of the tables above (or None)."""
    g = 1 if noun[2] == "m" else 2  # the column of the masculine or the feminine form
    art_en, art_es = article[0], article[g]
    col_en, col_es = (colour[0], colour[g]) if colour else (None, None)
    en, es = {
        0: ([art_en, col_en, noun[0]], [art_es, noun[1], col_es]),
        1: ([art_en, noun[0], "is", col_en], [art_es, noun[1], "es", col_es]),
        2: ([art_en, noun[0], verb and verb[0]], [art_es, noun[1], verb and verb[1]]),
        3: ([art_en, col_en, noun[0], verb and verb[0]], [art_es, noun[1], col_es, verb and verb[1]]),
    }[template]
    end = ["."] if period else []
    return Pair(join(en + end), join(es + end), template, noun[0], col_en)


def all_pairs():
    """Every pair the grammar makes, in a fixed order (template, article, noun, colour, verb, period)."""
    pairs = []
    for template in range(len(TEMPLATES)):
        colours = COLOURS if template != 2 else (None,)
        verbs = VERBS if template in (2, 3) else (None,)
        for article, noun, colour, verb, period in itertools.product(ARTICLES, NOUNS, colours, verbs, (False, True)):
            pairs.append(_sentence(article, noun, colour, verb, template, period))
    return pairs


def is_held_out(pair):
    """True when the pair holds a noun-colour combination kept out of training."""
    return (pair.noun, pair.colour) in HELD_OUT_COMBOS


def split_pairs():
    """(training pairs, held-out pairs): the held-out ones are every pair with a HELD_OUT_COMBOS combination."""
    pairs = all_pairs()
    return [p for p in pairs if not is_held_out(p)], [p for p in pairs if is_held_out(p)]


TRAIN, HELD_OUT = split_pairs()


def source_tokens(english):
    """The encoder's tokens: lesson 06's tokenizer, then "</s>". 'The red car.' -> ['the', 'red', 'car', '.', '</s>']"""
    return tokenize(english) + ["</s>"]


def target_tokens(spanish):
    """The decoder's tokens: "<s>", the words, "</s>". 'el coche rojo' -> ['<s>', 'el', 'coche', 'rojo', '</s>']"""
    return ["<s>"] + tokenize(spanish) + ["</s>"]


def unknown_words(english):
    """The words of english that VOCAB's English side lacks, each once, in order."""
    known = set(ENGLISH) | {"."}
    return list(dict.fromkeys(t for t in tokenize(english) if t not in known))


def ids(tokens):
    """Token ids in VOCAB; a token it does not know gets the id of "<unk>" (0)."""
    return np.array([WORD_TO_ID.get(t, 0) for t in tokens], dtype=np.int64)


def words(id_list):
    """Tokens of a list of ids."""
    return [VOCAB[int(i)] for i in id_list]


def pair_ids(pairs):
    """(src (n_pairs, n_src), tgt (n_pairs, n_tgt)) int arrays for pairs of one length (one template, one ".")."""
    src = np.stack([ids(source_tokens(p.english)) for p in pairs])  # (n_pairs, n_src)
    tgt = np.stack([ids(target_tokens(p.spanish)) for p in pairs])  # (n_pairs, n_tgt)
    return src, tgt


def by_length(pairs):
    """{(n_src, n_tgt): [pairs]}: the pairs grouped so that each group stacks without padding."""
    groups = {}
    for p in pairs:
        key = (len(source_tokens(p.english)), len(target_tokens(p.spanish)))
        groups.setdefault(key, []).append(p)
    return dict(sorted(groups.items()))


def batches(pairs, batch_size, rng):
    """Endless (src, tgt) batches: each epoch shuffles every length group, cuts it into batches of at most
    batch_size pairs of one length, and shuffles the batches. rng: a numpy.random.Generator."""
    groups = [pair_ids(g) for g in by_length(pairs).values()]
    while True:
        order = []
        for gi, (src, _) in enumerate(groups):
            perm = rng.permutation(len(src))
            order += [(gi, perm[i:i + batch_size]) for i in range(0, len(src), batch_size)]
        for k in rng.permutation(len(order)):
            gi, rows = order[k]
            yield groups[gi][0][rows], groups[gi][1][rows]  # (b, n_src), (b, n_tgt)
