import pytest
from pymatgen.core import Lattice, Structure

from conftest import cubic, p1_cif
from supercon3d.data.cif import read_cif
from supercon3d.data.taxonomy import DisorderClass, DisorderTolerances, classify_disorder


def test_ordered(rocksalt):
    report = classify_disorder(rocksalt)
    assert report.disorder_class is DisorderClass.O
    assert report.substitutional_sites == report.partial_sites == 0


def test_substitutional():
    s = cubic(4.0, [{"Ba": 0.5, "K": 0.5}, "Bi", "O"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0]])
    report = classify_disorder(s)
    assert report.disorder_class is DisorderClass.SD
    assert report.substitutional_sites == 1


def test_positional_partial_site():
    s = cubic(3.9, [{"Cu": 1.0}, {"O": 0.7}, "O"], [[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0]])
    report = classify_disorder(s)
    assert report.disorder_class is DisorderClass.PD
    assert report.partial_sites == 1


def test_positional_split_site():
    # one O spread over two sites 0.3 Å apart: a split position, not two atoms
    s = cubic(4.0, ["Cu", {"O": 0.5}, {"O": 0.5}], [[0, 0, 0], [0.5, 0, 0], [0.5, 0.075, 0]])
    report = classify_disorder(s)
    assert report.disorder_class is DisorderClass.PD
    assert report.split_site_pairs == 1


def test_substitutional_and_positional():
    s = cubic(
        4.0, [{"La": 0.9, "Sr": 0.1}, "Cu", {"O": 0.8}], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]]
    )
    assert classify_disorder(s).disorder_class is DisorderClass.SPD


def test_mixed_site_with_vacancies_is_spd():
    s = cubic(4.0, [{"Ba": 0.4, "K": 0.4}, "Bi"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert classify_disorder(s).disorder_class is DisorderClass.SPD


def test_interstitial_next_to_host_atom():
    # fcc Pd with a partial H squeezed 0.5 Å from a Pd atom: it can only be there beside Pd
    host = Structure.from_spacegroup("Fm-3m", Lattice.cubic(3.89), ["Pd"], [[0, 0, 0]])
    host.append({"H": 0.3}, [0.5 / 3.89, 0, 0])
    report = classify_disorder(host)
    assert report.disorder_class is DisorderClass.ID
    assert report.interstitial_sites == 1


def test_interstitial_overfull_position():
    # two partial Nb sites 0.2 Å apart holding 1.4 atoms at one position
    s = cubic(3.3, [{"Nb": 0.7}, {"Nb": 0.7}], [[0, 0, 0], [0.2 / 3.3, 0, 0]])
    report = classify_disorder(s)
    assert report.disorder_class is DisorderClass.ID
    assert report.overfull_pairs == 1


def test_overfull_position_tolerance():
    # ICSD rounding: 1.0 + 0.1 at one position stays positional under the default tolerance
    s = cubic(4.0, ["Cu", {"O": 1.0}, {"O": 0.1}], [[0, 0, 0], [0.5, 0, 0], [0.5, 0.05, 0]])
    assert classify_disorder(s).disorder_class is DisorderClass.PD
    strict = DisorderTolerances(overfull_tol=0.05)
    assert classify_disorder(s, strict).disorder_class is DisorderClass.ID


def test_ordered_with_overlapping_atoms_stays_ordered():
    s = cubic(5.0, ["Hf", "H", "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5001]])
    report = classify_disorder(s)
    assert report.disorder_class is DisorderClass.O
    assert report.overlapping_full_pairs == 1


def test_overfull_cif_position_is_read_and_classified_interstitial(tmp_path):
    path = tmp_path / "overfull.cif"
    path.write_text(p1_cif(3.3, [("Nb", 0, 0, 0, 1.0), ("Ti", 0, 0, 0, 0.3)]))
    record = read_cif(path)
    assert record.overfull_occupancies == pytest.approx([1.3])
    assert any("sum to > 1" in w for w in record.warnings)
    report = classify_disorder(record.structure, overfull_occupancies=record.overfull_occupancies)
    assert report.disorder_class is DisorderClass.ID


@pytest.mark.data
def test_supercon3d_classes_match_tc_csv(supercon3d):
    for entry in supercon3d.entries:
        if entry.order_label == "order":
            assert entry.disorder_class is DisorderClass.O, entry.id
        else:
            assert entry.disorder_class in (
                DisorderClass.SD,
                DisorderClass.PD,
                DisorderClass.SPD,
            ), entry.id
    assert sum(e.disorder_class is DisorderClass.O for e in supercon3d.entries) == 1016
    assert len(supercon3d) == 1578
