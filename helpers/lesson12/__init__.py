"""Lesson 12, the translator learns: lesson 10's model trained on a toy English -> Spanish corpus, in numpy.

The lesson (notebooks/12-the-model-learns.ipynb), its exercises and `byhand train` / `byhand translate`
call what is listed here; the package's modules are:

- corpus: the toy grammar and its pairs. TRAIN and HELD_OUT (the held-out pairs hold noun-colour
  combinations never seen in training: HELD_OUT_COMBOS), VOCAB (one joint vocabulary, as the paper's),
  source_tokens / target_tokens ("</s>" after the English; "<s>" ... "</s>" around the Spanish),
  pair_ids, by_length (every template has one length: batches need no padding), batches.
- gradients: loss_and_gradients(src_ids, tgt_ids, p, h, label_smoothing=0.0) -> (loss, grads), the whole
  model's loss (teacher forcing, cross-entropy) and the gradient of every weight, tied E included.
- training: lrate (the paper's warm-up schedule), adam_update (one Adam step on arrays) and adam_step (on a
  model), TrainConfig and CONFIG (the full configuration), train (the loop) and its History.
- decode: greedy_decode, translations, exact_match, save_weights, load_weights (the shipped weights,
  helpers/data/translator.npz, by default), translate("the red car") -> "el coche rojo"; made_with (the
  numpy and BLAS that trained a weights file) and this_machine (the same for this machine).
- figures: the schedule, the loss curve, cross-attention heatmaps and the embeddings' cosine similarities.
- exercises: the small numbers of exercises/12 (a linear layer with cross-entropy, a loss curve, an Adam step).

The checks of exercises/12 are in helpers.checks.lesson12.
"""

from .corpus import HELD_OUT, HELD_OUT_COMBOS, TRAIN, VOCAB, by_length, pair_ids, source_tokens, target_tokens
from .decode import (
    exact_match,
    greedy_decode,
    load_weights,
    made_with,
    save_weights,
    shipped_weights,
    this_machine,
    translate,
    translations,
)
from .gradients import loss_and_gradients
from .training import CONFIG, History, TrainConfig, adam_step, adam_update, init_model, lrate, train

__all__ = [
    "HELD_OUT", "HELD_OUT_COMBOS", "TRAIN", "VOCAB", "by_length", "pair_ids", "source_tokens", "target_tokens",
    "exact_match", "greedy_decode", "load_weights", "made_with", "save_weights", "shipped_weights", "this_machine",
    "translate", "translations",
    "loss_and_gradients", "CONFIG", "History", "TrainConfig", "adam_step", "adam_update", "init_model", "lrate",
    "train",
]
