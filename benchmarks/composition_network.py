"""An attention network over a composition's elements, beside LightGBM (issue 15)

    python benchmarks/composition_network.py --task tc [--folds 0,1,2]
    python benchmarks/composition_network.py --task superconductor

Every composition model tried so far is a gradient-boosted or random forest over
fraction-weighted statistics of element properties (Magpie, CHGNet's element vectors), which
cannot see which element sits beside which. This network reads the composition as a set of
element tokens instead (as Roost and CrabNet do): each token is the element's Magpie
properties and CHGNet's pretrained vector (both standardized, from the installed wheels),
plus a learnt per-element vector and an encoding of its atomic fraction; three
self-attention layers let every element see the others; the fraction-weighted mean and the
maximum over the tokens feed a small head. :data:`N_MEMBERS` networks with different seeds
are averaged (``--members``).

- ``--task tc``: on the shared random 10 folds (``--folds``: the test folds to run), trained on
  each fold's training entries plus the SuperCon formula rows the composition baseline may use
  (``fold_extra_rows``), L1 loss on ln Tc, the epoch of lowest validation-fold MAE kept. Prints
  each test fold's MAE (ln K) of the network, of LightGBM on Magpie + CHGNet statistics (the
  shipped blend's composition model) and of their blend, whose weight (grid step 0.05) is
  chosen on the validation fold.
- ``--task superconductor``: on the P(superconductor) classifier's table and chemical-system
  grouped 5 folds, the network on the composition alone (binary cross-entropy, the epoch of
  lowest loss on a tenth of the training chemical systems held out kept); prints its pooled
  out-of-fold ROC-AUC beside the shipped classifier recipe's (five LightGBM fits on Magpie,
  CHGNet statistics, the doping level and the structure descriptors) and their mean
  probability with the network's weight fixed beforehand at 0.25 and 0.5.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch
from composition_folds import fold_rows, load_inputs, print_means
from pymatgen.core import Composition
from scipy.special import expit
from sklearn.metrics import log_loss, roc_auc_score
from torch import nn

from supercon3d.evaluation.splits import CLASSIFIER_FOLDS, chemical_system_folds, grouped_folds
from supercon3d.graphs.elements import MAX_Z, element_table
from supercon3d.machine import describe_machine
from supercon3d.models.composition import MagpieFeaturizer, make_regressor
from supercon3d.settings import cache_dir
from supercon3d.training.blend import best_weight
from supercon3d.training.superconductor import (
    N_SEEDS,
    classifier_seeds,
    out_of_fold_probabilities,
    training_features,
)
from supercon3d.training.superconductor_data import build_training_table

WIDTH = 96
LAYERS = 3
HEADS = 4
DROPOUT = 0.1
EPOCHS = 60
BATCH = 128
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-4
N_MEMBERS = 3
"""Networks (seeds 0, 1, ...) averaged per prediction, unless ``--members`` says otherwise."""
INNER_VALIDATION_SHARE = 0.1
"""``--task superconductor``: share of the training chemical systems held out to pick the epoch."""
FIXED_WEIGHTS = (0.25, 0.5)
"""``--task superconductor``: the network's weights in the mean probability, fixed beforehand."""
MIN_FRACTION = 1e-6


def encode(compositions: list[Composition]) -> tuple[torch.Tensor, torch.Tensor]:
    """Atomic numbers (0 pads) and atomic fractions, (n, most elements) each."""
    width = max(len(c.elements) for c in compositions)
    numbers = torch.zeros(len(compositions), width, dtype=torch.long)
    fractions = torch.zeros(len(compositions), width)
    for row, composition in enumerate(compositions):
        shares = composition.element_composition.fractional_composition
        for column, element in enumerate(sorted(shares, key=lambda e: e.Z)):
            numbers[row, column] = element.Z
            fractions[row, column] = float(shares[element])
    return numbers, fractions


class ElementSetNetwork(nn.Module):
    """Self-attention over a composition's element tokens; one output per row."""

    def __init__(self, table: np.ndarray):
        super().__init__()
        padded = np.vstack([np.zeros((1, table.shape[1])), table])
        self.register_buffer("table", torch.tensor(padded, dtype=torch.float32))
        self.element = nn.Linear(table.shape[1], WIDTH)
        self.learnt = nn.Embedding(MAX_Z + 1, WIDTH, padding_idx=0)
        self.fraction = nn.Sequential(nn.Linear(2, WIDTH), nn.SiLU(), nn.Linear(WIDTH, WIDTH))
        layer = nn.TransformerEncoderLayer(
            WIDTH, HEADS, 2 * WIDTH, DROPOUT, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Linear(2 * WIDTH, WIDTH), nn.SiLU(), nn.Linear(WIDTH, 1))

    def forward(self, numbers: torch.Tensor, fractions: torch.Tensor) -> torch.Tensor:
        padding = numbers == 0
        shares = torch.stack([fractions, torch.log(fractions.clamp(min=MIN_FRACTION))], dim=-1)
        tokens = self.element(self.table[numbers]) + self.learnt(numbers) + self.fraction(shares)
        hidden = self.encoder(tokens, src_key_padding_mask=padding)
        hidden = hidden.masked_fill(padding[..., None], 0.0)
        mean = (hidden * fractions[..., None]).sum(dim=1)
        largest = hidden.masked_fill(padding[..., None], -1e4).max(dim=1).values
        return self.head(torch.cat([mean, largest], dim=-1)).squeeze(-1)


def _predict(network: nn.Module, numbers: torch.Tensor, fractions: torch.Tensor) -> np.ndarray:
    network.eval()
    with torch.no_grad():
        outputs = [
            network(numbers[i : i + 1024], fractions[i : i + 1024])
            for i in range(0, len(numbers), 1024)
        ]
    return torch.cat(outputs).numpy()


def train_network(
    table: np.ndarray,
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    loss: nn.Module,
    score,
    seed: int,
) -> ElementSetNetwork:
    """A network trained on ``train`` (numbers, fractions, targets) for :data:`EPOCHS`,
    returned at the epoch of lowest ``score(predicted, targets)`` on ``val``."""
    torch.manual_seed(seed)
    network = ElementSetNetwork(table)
    optimizer = torch.optim.AdamW(network.parameters(), LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps = EPOCHS * ((len(train[0]) + BATCH - 1) // BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, LEARNING_RATE, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    best, best_state = np.inf, None
    for _ in range(EPOCHS):
        network.train()
        order = torch.randperm(len(train[0]), generator=generator)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            optimizer.zero_grad()
            loss(network(train[0][batch], train[1][batch]), train[2][batch]).backward()
            optimizer.step()
            schedule.step()
        current = score(_predict(network, val[0], val[1]), val[2].numpy())
        if current < best:
            best, best_state = current, copy.deepcopy(network.state_dict())
    network.load_state_dict(best_state)
    return network


def token_table() -> np.ndarray:
    """Per element: Magpie's properties and CHGNet's pretrained vector, side by side."""
    return np.hstack([element_table("magpie"), element_table("chgnet")]).astype(np.float32)


def _tensors(compositions: list[Composition], targets: np.ndarray):
    numbers, fractions = encode(compositions)
    return numbers, fractions, torch.tensor(targets, dtype=torch.float32)


def _mae(predicted: np.ndarray, target: np.ndarray) -> float:
    return float(np.abs(predicted - target).mean())


def run_tc(folds: list[int], members: int, started: float) -> None:
    """Test-fold MAE (ln K) of the network, LightGBM and their validation-chosen blend."""
    inputs = load_inputs()
    table = token_table()
    describe = MagpieFeaturizer(cache_dir(), element_embedding="chgnet").transform
    results: dict[str, list[float]] = {"network": [], "lightgbm": [], "blend": []}
    print("| fold | network | LightGBM (Magpie + CHGNet) | blend | network's weight | s |")
    print("|---|---|---|---|---|---|")
    for fold in folds:
        fold_started = time.perf_counter()
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas)
        val = [entry.structure.composition for entry in rows.val]
        test = [entry.structure.composition for entry in rows.test]
        val_y = np.array([entry.ln_tc for entry in rows.val])
        test_y = np.array([entry.ln_tc for entry in rows.test])

        booster = make_regressor("lgbm", 0).fit(describe(rows.compositions), rows.ln_tc)
        lgbm_val, lgbm_test = booster.predict(describe(val)), booster.predict(describe(test))
        train_t = _tensors(rows.compositions, rows.ln_tc)
        val_t, test_t = _tensors(val, val_y), _tensors(test, test_y)
        net_val, net_test = np.zeros(len(val)), np.zeros(len(test))
        for seed in range(members):
            network = train_network(table, train_t, val_t, nn.L1Loss(), _mae, seed)
            net_val += _predict(network, *val_t[:2]) / members
            net_test += _predict(network, *test_t[:2]) / members
        weight = best_weight(net_val, lgbm_val, val_y)
        blend = weight * net_test + (1 - weight) * lgbm_test
        for name, predicted in (("network", net_test), ("lightgbm", lgbm_test), ("blend", blend)):
            results[name].append(_mae(predicted, test_y))
        print(
            f"| {fold} | {results['network'][-1]:.3f} | {results['lightgbm'][-1]:.3f} "
            f"| {results['blend'][-1]:.3f} | {weight:.2f} "
            f"| {time.perf_counter() - fold_started:.0f} |",
            flush=True,
        )
    print_means(results, started)


def _log_loss(logits: np.ndarray, target: np.ndarray) -> float:
    return float(log_loss(target, expit(logits), labels=[0, 1]))


def run_superconductor(members: int, started: float) -> None:
    """Pooled grouped out-of-fold ROC-AUC of the network, the shipped recipe and their means."""
    training = build_training_table()
    labels = training["label"].to_numpy(dtype=int)
    compositions = list(training["composition"])
    systems = list(training["system"])
    folds = chemical_system_folds(compositions, CLASSIFIER_FOLDS)
    featurizer = MagpieFeaturizer(cache_dir(), element_embedding="chgnet")
    features = training_features(training, featurizer, doping_level=True)
    shipped = out_of_fold_probabilities(features, labels, folds, seeds=classifier_seeds(0, N_SEEDS))
    print(f"shipped recipe out of fold: {time.perf_counter() - started:.0f} s", flush=True)
    table = token_table()
    network_p = np.zeros(len(labels))
    for fold in range(CLASSIFIER_FOLDS):
        fold_started = time.perf_counter()
        outside = np.flatnonzero(folds != fold)
        inner = grouped_folds([systems[i] for i in outside], round(1 / INNER_VALIDATION_SHARE))
        fit, check = outside[inner != 0], outside[inner == 0]
        fit_t = _tensors([compositions[i] for i in fit], labels[fit].astype(float))
        check_t = _tensors([compositions[i] for i in check], labels[check].astype(float))
        inside = np.flatnonzero(folds == fold)
        numbers, fractions = encode([compositions[i] for i in inside])
        for seed in range(members):
            network = train_network(table, fit_t, check_t, nn.BCEWithLogitsLoss(), _log_loss, seed)
            logits = _predict(network, numbers, fractions)
            network_p[inside] += expit(logits) / members
        print(
            f"fold {fold}: network {roc_auc_score(labels[inside], network_p[inside]):.3f}, "
            f"shipped recipe {roc_auc_score(labels[inside], shipped[inside]):.3f} "
            f"({time.perf_counter() - fold_started:.0f} s)",
            flush=True,
        )
    print("\n| model | grouped ROC-AUC |\n|---|---|")
    print(f"| network (composition only) | {roc_auc_score(labels, network_p):.3f} |")
    print(f"| shipped recipe | {roc_auc_score(labels, shipped):.3f} |")
    for weight in FIXED_WEIGHTS:
        mean = weight * network_p + (1 - weight) * shipped
        print(f"| mean, network's weight {weight} | {roc_auc_score(labels, mean):.3f} |")
    print(f"wall time {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("tc", "superconductor"), required=True)
    parser.add_argument("--folds", default=",".join(map(str, range(10))), help="--task tc")
    parser.add_argument("--members", type=int, default=N_MEMBERS, help="networks averaged")
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    print(f"# {describe_machine()}")
    if args.task == "tc":
        run_tc([int(fold) for fold in args.folds.split(",")], args.members, started)
    else:
        run_superconductor(args.members, started)


if __name__ == "__main__":
    main()
