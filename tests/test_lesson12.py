"""Lesson 12 (the translator learns): corpus, schedule, Adam, training, the shipped weights, the CLI, the checks.

Expected values are worked out by hand in the comments, or are properties of the grammar (agreement in
every pair, no held-out pair in training), or were recorded from a run (the loss trajectory, to 1e-6).
The gradients themselves are compared with torch.autograd in tests/test_model_gradients_reference.py.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from helpers import cli
from helpers.lesson10 import is_tied
from helpers.lesson12 import corpus as C
from helpers.lesson12 import decode, figures
from helpers.lesson12 import exercises as X
from helpers.lesson12 import training as T

DATA = Path(__file__).parent / "data"
GENDER = {es: g for _, es, g in C.NOUNS}
FORMS = {en: {"m": m, "f": f} for en, m, f in C.COLOURS}

# ------------------------------------------------------------------ 1. the corpus


def test_agreement_holds_in_every_pair():
    for pair in C.TRAIN + C.HELD_OUT:
        es = C.target_tokens(pair.spanish)[1:-1]
        noun = next(w for w in es if w in GENDER)
        g = GENDER[noun]
        assert es[0] == {("the", "m"): "el", ("the", "f"): "la", ("a", "m"): "un", ("a", "f"): "una"}[
            (C.source_tokens(pair.english)[0], g)], pair
        if pair.colour:
            assert FORMS[pair.colour][g] in es, pair
            if pair.template in (0, 3):  # the adjective follows the noun
                assert es.index(FORMS[pair.colour][g]) == es.index(noun) + 1, pair


def test_the_two_sentences_of_the_lesson_are_held_out():
    held = {p.english: p.spanish for p in C.HELD_OUT}
    assert held["the red car"] == "el coche rojo"
    assert held["the ball is blue"] == "la bola es azul"
    assert held["the red car."] == "el coche rojo."


def test_held_out_pairs_are_unseen_combinations_and_absent_from_training():
    train = {p.english for p in C.TRAIN}
    held = {p.english for p in C.HELD_OUT}
    assert not train & held and len(held) == len(C.HELD_OUT) and len(train) == len(C.TRAIN)
    seen = {(p.noun, p.colour) for p in C.TRAIN}
    assert all((p.noun, p.colour) not in seen for p in C.HELD_OUT)
    # 10 nouns x 6 colours, one combination per noun held out: 50 seen, 10 unseen
    assert len(seen - {(n, None) for n, _, _ in C.NOUNS}) == 50 and len(C.HELD_OUT_COMBOS) == 10
    # but every word is seen in training, with other words
    train_words = {w for p in C.TRAIN for w in C.source_tokens(p.english) + C.target_tokens(p.spanish)}
    assert {w for p in C.HELD_OUT for w in C.source_tokens(p.english) + C.target_tokens(p.spanish)} <= train_words


def test_sizes_by_hand():
    # template 0 and 1: 2 articles x 10 nouns x 6 colours x 2 (with or without ".") = 240 each;
    # template 2: 2 x 10 x 3 verbs x 2 = 120; template 3: 2 x 10 x 6 x 3 x 2 = 720. Total 1320.
    assert len(C.all_pairs()) == 240 + 240 + 120 + 720 == 1320
    # each held-out combination: 4 + 4 + 12 pairs (templates 0, 1, 3)
    assert len(C.HELD_OUT) == 10 * 20 and len(C.TRAIN) == 1120
    # specials 3, ".", English 2 + 10 + 6 + 1 + 3, Spanish 4 + 10 + 10 + 1 + 3
    assert len(C.VOCAB) == 3 + 1 + 22 + 28 == 54 and len(set(C.VOCAB)) == 54


def test_one_length_per_template_so_batches_need_no_padding():
    groups = C.by_length(C.TRAIN)
    assert list(groups) == [(4, 5), (5, 6), (6, 7)]
    rng = np.random.default_rng(0)
    seen = 0
    for src, tgt in (next(b) for b in [C.batches(C.TRAIN, 32, rng)] * 40):
        assert src.shape[0] == tgt.shape[0] <= 32 and (src.shape[1], tgt.shape[1]) in groups
        assert (tgt[:, 0] == C.BOS).all() and (tgt[:, -1] == C.EOS).all() and (src[:, -1] == C.EOS).all()
        seen += len(src)
    assert seen == sum(min(32, len(g)) for g in groups.values()) or seen >= 1120  # 40 batches cover an epoch


def test_tokens_and_ids():
    assert C.source_tokens("The red car.") == ["the", "red", "car", ".", "</s>"]
    assert C.target_tokens("el coche rojo") == ["<s>", "el", "coche", "rojo", "</s>"]
    assert C.words(C.ids(["el", "zzz"])) == ["el", "<unk>"]


# ------------------------------------------------------------------ 2. the schedule and Adam


def test_the_schedule_by_hand():
    # d_model 16, warmup 4: 16^-0.5 = 1/4; step 1: 1/4 · 1 · 4^-1.5 = 1/32; step 4 (the peak): 1/4 · 4^-0.5 = 1/8;
    # step 16: 1/4 · 16^-0.5 = 1/16
    assert T.lrate(1, 16, 4) == pytest.approx(1 / 32)
    assert T.lrate(4, 16, 4) == pytest.approx(1 / 8)
    assert T.lrate(16, 16, 4) == pytest.approx(1 / 16)
    assert T.lrate(4, 16, 4, scale=0.5) == pytest.approx(1 / 16)
    rates = T.lrate(np.arange(1, 101), 32, 20)
    assert int(np.argmax(rates)) + 1 == 20 and np.all(np.diff(rates[:20]) > 0) and np.all(np.diff(rates[20:]) < 0)
    with pytest.raises(ValueError, match="step counts from 1"):
        T.lrate(0, 16, 4)


def test_adam_by_hand():
    # t = 1, m = v = 0: m = 0.1 g, v = 0.02 g², m̂ = g, v̂ = g², w - lr · g / |g|
    w, m, v = T.adam_update(np.array([2.0, -1.0]), np.array([0.5, -0.1]), 0.0, 0.0, 1, 0.1)
    np.testing.assert_allclose(m, [0.05, -0.01])
    np.testing.assert_allclose(v, [0.005, 0.0002])
    np.testing.assert_allclose(w, [1.9, -0.9], atol=1e-9)
    # t = 2 with the same gradient: m = 0.9·0.05 + 0.1·0.5 = 0.095, m̂ = 0.095 / 0.19 = 0.5;
    # v = 0.98·0.005 + 0.02·0.25 = 0.0099, v̂ = 0.0099 / 0.0396 = 0.25: the step is lr · 0.5 / 0.5 again
    w2, m2, v2 = T.adam_update(w, np.array([0.5, -0.1]), m, v, 2, 0.1)
    np.testing.assert_allclose([m2[0], v2[0], w2[0]], [0.095, 0.0099, 1.8], atol=1e-9)


def test_adam_step_keeps_the_tied_matrix_one_array_and_moves_every_weight():
    p = T.init_model(T.TrainConfig(d_model=8, h=2, d_ff=8, n_layers=1))
    before = [a.copy() for _, a in T.named_weights(p)]
    grads = T.init_model(T.TrainConfig(d_model=8, h=2, d_ff=8, n_layers=1, seed=5))  # the right shapes ...
    rng = np.random.default_rng(5)
    for _, g in T.named_weights(grads):
        g[...] = rng.choice([-1, 1], size=g.shape) * rng.uniform(0.5, 2, size=g.shape)  # ... none near 0
    state = T.adam_init(p)
    T.adam_step(p, grads, state, lr=0.01)
    assert is_tied(p) and state.step == 1
    for (name, a), b in zip(T.named_weights(p), before):
        np.testing.assert_allclose(np.abs(a - b), 0.01, rtol=1e-5, err_msg=name)  # step 1 moves every weight by lr


# ------------------------------------------------------------------ 3. training and the shipped weights


def test_a_short_run_repeats_the_recorded_loss_trajectory():
    recorded = json.loads((DATA / "lesson12-loss-trajectory.json").read_text())
    assert recorded["seed"] == T.CONFIG.seed
    _, history = T.train(T.CONFIG, steps=recorded["steps"])
    np.testing.assert_allclose(history.loss, recorded["loss"], rtol=0, atol=1e-6)
    assert history.loss[-1] < history.loss[0] - 0.3  # it learns something even in 25 steps


def test_the_shipped_weights_translate_the_held_out_pairs():
    p, config = decode.load_weights()
    assert config == T.CONFIG and is_tied(p)
    got = decode.translations(C.HELD_OUT, p, config.h)
    wrong = [(pair.english, got[pair.english]) for pair in C.HELD_OUT if got[pair.english] != pair.spanish]
    assert len(wrong) <= 0.05 * len(C.HELD_OUT), wrong
    assert decode.translate("the red car") == "el coche rojo"
    assert decode.translate("The ball is blue.") == "la bola es azul."
    assert decode.WEIGHTS_PATH.stat().st_size < 400_000


def test_translate_refuses_unknown_words_and_names_them():
    with pytest.raises(ValueError, match="unknown words 'purple', 'bus'; the model knows: the, a, car"):
        decode.translate("the purple bus")
    with pytest.raises(ValueError, match="empty"):
        decode.translate("  ")


def test_save_and_load_keep_every_weight_and_the_tie(tmp_path):
    config = T.TrainConfig(d_model=8, h=2, d_ff=8, n_layers=1, seed=3)
    p = T.init_model(config)
    decode.save_weights(tmp_path / "w.npz", p, config)
    q, config2 = decode.load_weights(tmp_path / "w.npz")
    assert config2 == config and is_tied(q)
    for (name, a), (name2, b) in zip(T.named_weights(p), T.named_weights(q), strict=True):
        assert name == name2 and np.array_equal(a, b)


def test_a_weights_file_records_the_numpy_and_blas_that_made_it(tmp_path):
    """So that `make bench` can say why a retrain on another machine differs in the last bits."""
    import platform

    config = T.TrainConfig(d_model=8, h=2, d_ff=8, n_layers=1, seed=3)
    decode.save_weights(tmp_path / "w.npz", T.init_model(config), config)
    record = decode.made_with(tmp_path / "w.npz")
    assert record["numpy"] == np.__version__ and record["machine"] == platform.machine()
    assert record["blas"] != "unknown BLAS"  # threadpoolctl, a dependency, finds numpy's BLAS
    assert set(decode.made_with()) == {"numpy", "blas", "machine"}  # the shipped weights carry one too


def test_loss_and_gradients_name_bad_input():
    from helpers.lesson12 import loss_and_gradients

    p = T.init_model(T.TrainConfig(d_model=8, h=2, d_ff=8, n_layers=1))
    with pytest.raises(ValueError, match=r"tgt_ids needs at least 2 tokens .* got shape \(3, 1\)"):
        loss_and_gradients(np.zeros((3, 4), int), np.zeros((3, 1), int), p, 2)
    with pytest.raises(ValueError, match=r"src_ids has shape \(3, 4\) but tgt_ids has \(2, 5\)"):
        loss_and_gradients(np.zeros((3, 4), int), np.zeros((2, 5), int), p, 2)
    with pytest.raises(ValueError, match=r"src_ids must hold ids in 0..53"):
        loss_and_gradients(np.full((1, 4), 54), np.zeros((1, 5), int), p, 2)
    with pytest.raises(ValueError, match="src_ids must be a non-empty array of integer token ids"):
        loss_and_gradients(np.zeros((1, 4)), np.zeros((1, 5), int), p, 2)


# ------------------------------------------------------------------ 4. the command line


def test_byhand_translate(capsys):
    assert cli.main(["translate", "the red car"]) == 0
    assert capsys.readouterr().out == "el coche rojo\n"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["translate", "the purple car"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "byhand translate: error: unknown word 'purple'" in err and "the model knows: the, a, car, ball" in err


def test_byhand_train_writes_refuses_and_forces(tmp_path, capsys):
    out = tmp_path / "t.npz"
    assert cli.main(["train", "--steps", "3", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "step 3/3" in captured.err and "held-out" in captured.err  # the progress bar, on stderr
    assert "trained 3 steps (seed 0)" in captured.out and "held-out exact match" in captured.out
    first = out.read_bytes()
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--steps", "2", "--out", str(out)])
    assert exit_.value.code == 2 and "already exists; nothing was written" in capsys.readouterr().err
    assert out.read_bytes() == first
    assert cli.main(["train", "--steps", "2", "--seed", "1", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() != first
    capsys.readouterr()
    assert cli.main(["translate", "a red ball", "--weights", str(out)]) == 0  # 2 steps: words, not Spanish yet
    assert capsys.readouterr().out.strip() != "una bola roja"


@pytest.mark.parametrize("args, words", [
    (["train", "--steps", "0"], "--steps must be between 1 and 100000, got 0"),
    (["train", "--seed", "-1"], "--seed must be 0 or more"),
    (["train", "--out", "x.pt"], "--out must name a .npz file"),
    (["translate", "the red car", "--weights", "missing.npz"], "cannot read the weights missing.npz"),
])
def test_byhand_errors_exit_2_before_writing(args, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    assert exit_.value.code == 2
    assert f"byhand {args[0]}: error: {words}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ 5. the pictures


def test_cross_attention_rows_are_distributions_and_the_figures_draw():
    p, config = decode.shipped_weights()
    weights = figures.cross_attention("the red car", "el coche rojo", p, config.h)
    assert len(weights) == config.n_layers and weights[0].shape == (config.h, 4, 4)
    np.testing.assert_allclose(weights[0].sum(axis=-1), 1.0)
    assert figures.reading_labels("el coche rojo") == ["<s> → el", "el → coche", "coche → rojo", "rojo → </s>"]
    fig = figures.cross_attention_figure("the red car", "el coche rojo", p, config.h)
    assert len(fig.axes) >= config.h and fig.axes[0].get_title() == "head 1"
    assert "warmup = 200" in figures.schedule_figure(32, 200, 800, 0.5).axes[0].texts[0].get_text()
    S = figures.similarities(p.src_embed, ["car", "ball", "red"])
    np.testing.assert_allclose(np.diag(S), 1.0)
    assert figures.group_similarity(p.src_embed, ["car", "ball"], ["car", "ball"]) == pytest.approx(S[0, 1])


def test_the_made_up_curve_reads_as_the_exercise_says():
    run = X.curve_run()
    assert int(np.argmax(run["lr"])) + 1 == X.CURVE_WARMUP == 400
    assert X.curve_answers() == (400, 800, True)
    best = list(run["eval_steps"]).index(800)
    assert run["held_out"][best + 1] - run["held_out"][best] > 0.1  # a clear minimum, not a plateau
    assert run["train"][-100:].mean() < run["train"][700:800].mean()  # the training loss keeps falling


# ------------------------------------------------------------------ exercise checks (exercises/12)

from check_harness import assert_diagnosed, assert_revealed, hand_and_code_tests  # noqa: E402

from helpers import cross_entropy  # noqa: E402
from helpers.checks import lesson12 as check  # noqa: E402


def _train_step(W, x, targets, lr):
    # written out here: softmax minus one-hot, over n, through the linear layer
    W, x = np.asarray(W, dtype=float), np.asarray(x, dtype=float)
    logits = x @ W.T
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    probs[np.arange(len(x)), targets] -= 1
    return W - lr * (probs / len(x)).T @ x


# Adam by hand: see test_adam_by_hand. Without the bias correction: w1 = 2 − 0.1 · 0.05 / √0.005 = 2 − 0.0707,
# w2 = −1 − 0.1 · (−0.01) / √0.0002 = −1 + 0.0707
NO_CORRECTION = (2 - 0.1 * 0.05 / math.sqrt(0.005), -1 + 0.1 * 0.01 / math.sqrt(0.0002))
HAND = {"adam_step_by_hand": (0.05, -0.01, 0.005, 0.0002, 1.9, -0.9),
        "loss_curve_reading": (400, 800, 2)}
CODE = {"train_step": _train_step}
WRONG = {
    "adam_step_by_hand": [((0.05, -0.01, 0.005, 0.0002, 2.1, -1.1), "added the step to w"),
                          ((0.05, -0.01, 0.005, 0.0002, *NO_CORRECTION), "bias correction"),
                          ((0.05, -0.01, 0.005, 0.0002, 1.8, 0.0), "square root"),
                          ((0.5, -0.1, 0.005, 0.0002, 1.9, -0.9), "2 of 6 cells are wrong: m1, m2")],
    "loss_curve_reading": [((400, 2000, 2), "training loss"), ((400, 800, 1), "1 of 3 cells is wrong: verdict"),
                           ((200, 800, 2), "warmup_end")],
}


def test_exercise_names_and_order():
    assert check.EXERCISES == ("Adam step by hand", "reading a loss curve", "train_step")


def test_train_step_diagnoses_each_slip():
    def slip(transform):
        def step(W, x, targets, lr):
            _, dlogits = cross_entropy(np.asarray(x, float) @ np.asarray(W, float).T, targets)
            return transform(np.asarray(W, float), np.asarray(x, float), dlogits, lr)
        return step

    assert_diagnosed(check.train_step(slip(lambda W, x, d, lr: W + lr * d.T @ x)), "added the gradient")
    assert_diagnosed(check.train_step(slip(lambda W, x, d, lr: W - lr * len(x) * d.T @ x)), "divide dlogits by n")
    assert_diagnosed(check.train_step(slip(lambda W, x, d, lr: W - lr * x.T @ d)), "the transpose")
    assert_diagnosed(check.train_step(slip(lambda W, x, d, lr: W - 0.5 * lr * d.T @ x)), "cells are wrong")


def test_show_reveals_the_worked_answer(capsys):
    result = assert_revealed(check.adam_step_by_hand(0.05, -0.01, 0.005, 0.0002, 1.9, -0.9, show=True), capsys)
    assert "m̂ / √v̂ = (0.5 / 0.5, −0.1 / 0.1) = (1, −1)" in result.message
    assert_revealed(check.train_step(_train_step, show=True))


def test_hints_never_give_the_answer():
    for result in (check.adam_step_by_hand(0, 0, 0, 0, 0, 0), check.loss_curve_reading(1, 1, 1)):
        hint = result.message.split("Hint:")[1]
        for number in ("0.05", "0.005", "1.9", "400", "800"):
            assert number not in hint, (number, hint)


(test_by_hand_check_accepts_the_solution, test_code_check_accepts_the_solution,
 test_by_hand_check_diagnoses_typical_slips, test_by_hand_checks_report_not_done, test_code_checks_report_not_done,
 test_by_hand_checks_survive_garbage, test_code_checks_survive_garbage) = hand_and_code_tests(check, HAND, CODE, WRONG)


# ------------------------------------------------------------------ what the lesson says about the shipped weights


def test_the_heads_the_lesson_reads_look_where_it_says():
    """Lesson 12, section 7: decoder layer 1 of the shipped weights, 'the red car' -> 'el coche rojo'."""
    p, config = decode.shipped_weights()
    w = figures.cross_attention("the red car", "el coche rojo", p, config.h)[0]  # (h, 4 rows, 4 source tokens)
    the, red, car = 0, 1, 2
    start, el, coche = 0, 1, 2  # the rows <s> -> el, el -> coche, coche -> rojo
    assert sum(w[k, el].argmax() == car for k in range(config.h)) == 3  # writing "coche": car in three heads
    assert sum(w[k, coche].argmax() == red for k in range(config.h)) == 2  # writing "rojo": red in two heads ...
    assert w[0, coche, car] > 0.9  # ... and car in head 1
    assert w[2, start, car] > 0.9 and w[2, start, the] < 0.1  # writing "el": head 3 looks at car


def test_the_embeddings_group_as_the_lesson_says():
    p, _ = decode.shipped_weights()
    E = p.src_embed
    nouns, colours = [n for n, _, _ in C.NOUNS], [c for c, _, _ in C.COLOURS]
    masc, fem = ([es for _, es, g in C.NOUNS if g == k] for k in "mf")
    assert figures.group_similarity(E, nouns, nouns) > 0.3 and figures.group_similarity(E, colours, colours) > 0.3
    assert figures.group_similarity(E, nouns, colours) < 0.1
    between = figures.group_similarity(E, masc, fem)
    assert figures.group_similarity(E, masc, masc) > between + 0.05 and figures.group_similarity(E, fem, fem) > between
